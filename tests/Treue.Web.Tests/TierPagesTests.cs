using System.Net.Http.Json;
using Microsoft.Playwright;
using Treue.Web.Tests.Infrastructure;

namespace Treue.Web.Tests;

/// <summary>
/// Tiers in the portal and the console: a member who spent 600 EUR sees Silver with what is missing for Gold on a phone, in
/// English and German; staff see the tier and its history on the member page and set a tier by hand after confirming.
/// </summary>
public sealed class TierPagesTests(WebServer server)
{
    public static TheoryData<string> Languages => new() { "en-GB", "de-DE" };

    /// <summary>
    /// Tiers by spend in a calendar year. Every multiplier is 1, so the other tests' purchases on the shared programme earn
    /// as before.
    /// </summary>
    private async Task TiersAsync()
    {
        var res = await server.AdminApi.PutAsJsonAsync("/api/v1/tiers", new
        {
            measure = "spend", period = "calendarYear", graceDays = 30,
            levels = new object[]
            {
                new { code = "classic", name = "Classic", threshold = 0 },
                new { code = "silver", name = "Silver", threshold = 500, serviceFlags = new[] { "free_express_delivery" } },
                new { code = "gold", name = "Gold", threshold = 2000, serviceFlags = new[] { "free_express_delivery", "personal_advisor" } },
            },
        });
        Assert.True(res.IsSuccessStatusCode, await res.Content.ReadAsStringAsync());
    }

    private async Task<TestMember> SilverMemberAsync(string name)
    {
        await TiersAsync();
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var member = await server.AddMemberAsync(server.ProgrammeId, name, $"tier.{suffix}@example.org");
        await server.PurchaseAsync(member.CardNumber, "tier-" + suffix, "tea-house", "teapot", "kitchen", 1, 600m);
        return member;
    }

    [Theory]
    [MemberData(nameof(Languages))]
    public async Task A_member_sees_their_tier_and_what_is_missing_for_the_next_on_a_phone(string language)
    {
        var german = language.StartsWith("de", StringComparison.Ordinal);
        var member = await SilverMemberAsync("Tilda Tier");
        var page = await server.NewPageAsync(language, width: 390, height: 844);
        await page.GotoAsync("/portal/signin");
        await page.Locator("#email").FillAsync(member.Email);
        await page.Locator("#password").FillAsync(WebServer.Password);
        await page.Locator("#password").PressAsync("Enter");
        await page.WaitForURLAsync(url => !url.Contains("/signin", StringComparison.Ordinal));
        await page.WaitForReadyAsync();
        if (german)
        {
            // Signing in takes the member's own language (English); the language switch changes it.
            await page.Locator("nav.language a[data-lang='de']").ClickAsync();
            await page.WaitForFunctionAsync("() => document.documentElement.lang === 'de'");
            await page.WaitForReadyAsync();
        }

        var tier = page.Locator("#tier");
        await Assertions.Expect(tier).ToContainTextAsync(german ? "Ihre Stufe" : "Your tier");
        await Assertions.Expect(page.Locator("#tier-level")).ToHaveTextAsync("Silver");
        await Assertions.Expect(page.Locator("#tier-services")).ToContainTextAsync(german ? "Kostenloser Expressversand" : "Free express delivery");
        await Assertions.Expect(page.Locator("#tier-missing")).ToHaveTextAsync(german ? "Noch 1.400,00 € bis Gold." : "€1,400.00 more to reach Gold.");
        var year = TimeZoneInfo.ConvertTimeFromUtc(DateTime.UtcNow, TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin")).Year;
        await Assertions.Expect(page.Locator("#tier-measured")).ToContainTextAsync(german ? $"Zu erreichen bis 31.12.{year}." : $"Reach it by 12/31/{year}.");
        // Reached this year, Silver holds through next year and its 30 days of grace. English pages read days the US way.
        await Assertions.Expect(page.Locator("#tier-holds")).ToHaveTextAsync(german ? $"Silver gilt bis 30.01.{year + 2}." : $"Silver holds until 1/30/{year + 2}.");
        await page.AssertAccessibleAsync();
        Assert.True(await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth"), "the page should fit a phone's width");
    }

    [Theory]
    [InlineData("en-GB", "Set tier", "Set the tier of", "Set by hand: Silver to Gold")]
    [InlineData("de-DE", "Stufe setzen", "Stufe von", "Von Hand gesetzt: Silver zu Gold")]
    public async Task Staff_see_the_tier_and_its_history_and_set_a_tier_with_a_reason_after_confirming(string language, string set, string question, string what)
    {
        var member = await SilverMemberAsync("Tomas Tier " + language);
        var page = await server.NewPageAsync(language);
        await page.StaffSignInByIdAsync(WebServer.SupportEmail);
        await page.OpenAsync($"/admin/members/{member.Id}");

        await Assertions.Expect(page.Locator("#tier-level")).ToHaveTextAsync("Silver");
        await Assertions.Expect(page.Locator("#tier-history tr[data-reason='Upgrade']")).ToContainTextAsync(
            language.StartsWith("de", StringComparison.Ordinal) ? "Aufstieg von Classic zu Silver" : "Upgrade from Classic to Silver");

        await page.Locator(".mud-input-control.mud-select").Filter(new() { Has = page.Locator("#tier-new-level") }).ClickAsync();
        await page.GetByRole(AriaRole.Option, new() { Name = "Gold", Exact = true }).ClickAsync();
        await page.Locator("#tier-reason").FillAsync("Complaint goodwill");
        await page.Locator("#tier-reason").BlurAsync();
        await page.Locator("#tier-submit").ClickAsync();
        var dialog = page.GetByRole(AriaRole.Dialog);
        await Assertions.Expect(dialog).ToContainTextAsync(question);
        await Assertions.Expect(dialog).ToContainTextAsync("Complaint goodwill");
        await dialog.GetByRole(AriaRole.Button, new() { Name = set, Exact = true }).ClickAsync();

        await Assertions.Expect(page.Locator("#tier-level")).ToHaveTextAsync("Gold");
        var row = page.Locator("#tier-history tr[data-reason='ManualSet']");
        await Assertions.Expect(row).ToContainTextAsync(what);
        await Assertions.Expect(row).ToContainTextAsync("Complaint goodwill");
        await Assertions.Expect(row).ToContainTextAsync(WebServer.SupportEmail);
        var tier = await server.AdminApi.GetFromJsonAsync<System.Text.Json.JsonElement>($"/api/v1/members/{member.Id}/tier");
        Assert.Equal("gold", tier.GetProperty("level").GetString());
        Assert.Equal("silver", tier.GetProperty("qualifiedLevel").GetString());
    }
}
