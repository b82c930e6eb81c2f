using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using Treue.Web.Tests.Infrastructure;

namespace Treue.Web.Tests;

/// <summary>
/// The privacy pages: the member's consents in the portal on a phone in English and German, a member's consents on the
/// console's member page, the data requests with their due dates, and the retention rule's preview and run.
/// </summary>
public sealed class PrivacyPagesTests(WebServer server)
{
    private async Task<JsonElement> ConsentsAsync(Guid member) =>
        await server.AdminApi.GetFromJsonAsync<JsonElement>($"/api/v1/members/{member}/consents");

    private static bool Granted(JsonElement view, string purpose) =>
        view.GetProperty("consents").EnumerateArray().Single(c => c.GetProperty("purpose").GetString() == purpose).GetProperty("granted").GetBoolean();

    [Theory]
    [InlineData("en-GB", "Personal offers from my purchases", "Object to marketing", "You objected on")]
    [InlineData("de-DE", "Persönliche Angebote aus meinen Einkäufen", "Werbung widersprechen", "Sie haben am")]
    public async Task A_member_gives_a_consent_and_objects_in_the_portal_on_a_phone(string language, string profiling, string objectLabel, string objected)
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var member = await server.AddMemberAsync(server.ProgrammeId, "Petra Privat", $"petra.{suffix}@example.org");
        var page = await server.NewPageAsync(language, width: 390, height: 844);
        await page.GotoAsync("/portal/signin");
        await page.Locator("#email").FillAsync(member.Email);
        await page.Locator("#password").FillAsync(WebServer.Password);
        await page.Locator("#password").PressAsync("Enter");
        await page.WaitForURLAsync(url => !url.Contains("/signin", StringComparison.Ordinal));
        if (language.StartsWith("de", StringComparison.Ordinal))
        {
            await page.WaitForReadyAsync();
            await page.Locator("nav.language a[data-lang='de']").ClickAsync();
            await page.WaitForFunctionAsync("() => document.documentElement.lang === 'de'");
        }
        await page.OpenAsync("/portal/consents");
        Assert.False(Granted(await ConsentsAsync(member.Id), "profiling"));

        await page.Locator("#consent-Profiling").GetByText(profiling).ClickAsync();
        await Assertions.Expect(page.Locator("#consent-Profiling .consent-since")).ToBeVisibleAsync();
        var view = await ConsentsAsync(member.Id);
        Assert.True(Granted(view, "profiling"));
        Assert.Equal("portal", view.GetProperty("history")[0].GetProperty("source").GetString());
        await page.AssertAccessibleAsync();

        await page.GetByRole(AriaRole.Button, new() { Name = objectLabel, Exact = true }).ClickAsync();
        await Assertions.Expect(page.Locator("#objected")).ToContainTextAsync(objected);
        view = await ConsentsAsync(member.Id);
        Assert.False(Granted(view, "profiling"));
        Assert.True(view.TryGetProperty("objectedAt", out _));
        Assert.True(await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth"), "the page should fit a phone's width");
        await page.AssertAccessibleAsync();
    }

    [Fact]
    public async Task The_member_page_shows_consents_with_their_history()
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var member = await server.AddMemberAsync(server.ProgrammeId, "Konrad Konsens", $"konrad.{suffix}@example.org");
        var grant = await server.Pos.PostAsJsonAsync($"/api/v1/members/{member.Id}/consents", new { purpose = "emailMarketing", granted = true, textVersion = "2026-07" });
        Assert.True(grant.IsSuccessStatusCode, await grant.Content.ReadAsStringAsync());
        var page = await server.NewPageAsync();
        await page.StaffSignInByIdAsync(WebServer.SupportEmail);
        await page.OpenAsync($"/admin/members/{member.Id}");
        await Assertions.Expect(page.Locator("#member-consents tr[data-purpose='EmailMarketing']")).ToContainTextAsync("given");
        await Assertions.Expect(page.Locator("#member-consents tr[data-purpose='Profiling']")).ToContainTextAsync("not given");
        await Assertions.Expect(page.Locator("#member-consent-history")).ToContainTextAsync("Marketing by e-mail: given at the till (text 2026-07)");
    }

    [Fact]
    public async Task Data_requests_show_their_due_dates_and_an_access_request_is_completed_with_its_export()
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var late = await server.AddMemberAsync(server.ProgrammeId, "Lena Late " + suffix, $"lena.{suffix}@example.org");
        var fresh = await server.AddMemberAsync(server.ProgrammeId, "Fritz Fresh " + suffix, $"fritz.{suffix}@example.org");
        var old = await server.AdminApi.PostAsJsonAsync("/api/v1/data-requests", new { memberId = late.Id, kind = "access", receivedAt = DateTimeOffset.UtcNow.AddDays(-40) });
        Assert.True(old.IsSuccessStatusCode, await old.Content.ReadAsStringAsync());
        var lateId = (await old.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString();

        var page = await server.NewPageAsync();
        await page.StaffSignInByIdAsync(WebServer.AdminEmail);
        await page.OpenAsync("/admin/data-requests");
        // Recorded in the console: due a month from today, not overdue.
        await page.Locator("#request-email").FillAsync(fresh.Email);
        await page.Locator("#request-record").ClickAsync();
        await Assertions.Expect(page.Locator("#request-message")).ToContainTextAsync("The request is recorded.");
        var lateRow = page.Locator($"tr[data-request='{lateId}']");
        await Assertions.Expect(lateRow).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("overdue"));
        await Assertions.Expect(lateRow).ToContainTextAsync("Overdue");
        var freshRow = page.Locator("#data-requests tr", new() { HasText = fresh.Name });
        await Assertions.Expect(freshRow).ToBeVisibleAsync();
        await Assertions.Expect(freshRow).Not.ToHaveClassAsync(new System.Text.RegularExpressions.Regex("overdue"));
        await page.AssertAccessibleAsync();

        await lateRow.Locator(".complete-request").ClickAsync();
        await Assertions.Expect(page.Locator("#request-export")).ToBeVisibleAsync();
        await Assertions.Expect(lateRow).ToHaveCountAsync(0);
        var open = await server.AdminApi.GetFromJsonAsync<JsonElement>($"/api/v1/data-requests?memberId={late.Id}&open=false");
        Assert.True(open[0].TryGetProperty("completedAt", out _));
        var download = await page.RunAndWaitForDownloadAsync(() => page.Locator("#request-export").ClickAsync());
        var export = JsonDocument.Parse(await File.ReadAllTextAsync((await download.PathAsync())!));
        Assert.Equal(late.Name, export.RootElement.GetProperty("member").GetProperty("name").GetString());
    }

    [Fact]
    public async Task The_retention_preview_lists_an_inactive_member_and_a_run_asks_first()
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var idle = await server.AddMemberAsync(server.ProgrammeId, "Ingo Inactive " + suffix, $"ingo.{suffix}@example.org");
        await using (var db = server.Db())
            await db.Members.Where(m => m.Id == idle.Id).ExecuteUpdateAsync(s => s.SetProperty(m => m.EnrolledAt, DateTime.UtcNow.AddDays(-3700)));
        // The longest period the settings allow: only the member made eleven years old is inactive that long.
        var set = await server.AdminApi.PutAsJsonAsync("/api/v1/privacy/settings", new { inactiveDays = 3650, warningDays = 30, analytics = "aggregateOnly", consentTextVersion = "1" });
        Assert.True(set.IsSuccessStatusCode, await set.Content.ReadAsStringAsync());
        try
        {
            var page = await server.NewPageAsync();
            await page.StaffSignInByIdAsync(WebServer.AdminEmail);
            await page.OpenAsync("/admin/retention");
            await Assertions.Expect(page.Locator("#retention-warn")).ToContainTextAsync(idle.Name);
            await page.AssertAccessibleAsync();

            await page.Locator("#retention-run").ClickAsync();
            var dialog = page.GetByRole(AriaRole.Dialog);
            await dialog.GetByRole(AriaRole.Button, new() { Name = "Cancel", Exact = true }).ClickAsync();
            await Assertions.Expect(dialog).ToHaveCountAsync(0);
            await using (var db = server.Db())
                Assert.Equal(0, await db.RetentionWarnings.CountAsync(w => w.MemberId == idle.Id));

            await page.Locator("#retention-run").ClickAsync();
            await dialog.GetByRole(AriaRole.Button, new() { Name = "Run now", Exact = true }).ClickAsync();
            await Assertions.Expect(page.Locator("#retention-message")).ToContainTextAsync("1 members warned, 0 erased.");
            await Assertions.Expect(page.Locator("#retention-waiting")).ToContainTextAsync(idle.Name);
            await using (var db = server.Db())
                Assert.Equal(1, await db.RetentionWarnings.CountAsync(w => w.MemberId == idle.Id && w.SentAt == null));
        }
        finally
        {
            await server.AdminApi.PutAsJsonAsync("/api/v1/privacy/settings", new { warningDays = 30, analytics = "aggregateOnly", consentTextVersion = "1" });
        }
    }
}
