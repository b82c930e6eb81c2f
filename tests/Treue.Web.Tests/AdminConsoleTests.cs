using System.Globalization;
using System.Net.Http.Json;
using Microsoft.Playwright;
using Treue.Web.Tests.Infrastructure;

namespace Treue.Web.Tests;

public sealed class AdminConsoleTests(WebServer server)
{
    private static long Number(string text) => long.Parse(new string(text.Where(char.IsAsciiDigit).ToArray()), CultureInfo.InvariantCulture);

    [Fact]
    public async Task An_admin_creates_an_earning_rule_and_a_purchase_through_the_API_earns_by_it()
    {
        var page = await server.NewPageAsync();
        await page.StaffSignInAsync(WebServer.AdminEmail);
        await page.WaitForSelectorAsync("#kpi-issued");
        var issuedBefore = Number(await page.Locator("#kpi-issued").InnerTextAsync());

        await page.OpenAsync("/admin/programme/rules/new");
        await page.Locator("#rule-code").FillAsync("triple-tea");
        await page.Locator("#rule-name").FillAsync("3× points on tea");
        await page.Locator("#rule-effect-value").FillAsync("3");
        await page.Locator("#rule-categories").FillAsync("tea");
        await page.Locator("#rule-priority").FillAsync("15");
        // The live preview: one line of 20 EUR in category tea earns 20 base points and 40 from the new rule.
        await page.Locator("#quote-category-1").FillAsync("tea");
        await Assertions.Expect(page.Locator("#quote-total")).ToHaveTextAsync("60");
        await Assertions.Expect(page.Locator("tr[data-rule='triple-tea']")).ToContainTextAsync("+40");
        await Assertions.Expect(page.Locator("#quote-rules")).ToContainTextAsync("triple-tea");
        await page.ScreenshotAsync("admin-rule-editor");
        await page.Locator("#rule-save").ClickAsync();
        await page.WaitForURLAsync("**/admin/programme?saved=triple-tea");
        await page.WaitForReadyAsync();
        await Assertions.Expect(page.Locator("#rules")).ToContainTextAsync("3× points on tea");
        await Assertions.Expect(page.Locator("#change-history")).ToContainTextAsync(WebServer.AdminEmail);
        await Assertions.Expect(page.Locator("#change-history")).ToContainTextAsync("Rule triple-tea added");
        await page.ScreenshotAsync("admin-programme");

        // A till records Cara's first purchase: 10 base points, 20 from the new rule, 50 welcome bonus.
        var purchase = await server.PurchaseAsync(server.Cara.CardNumber, "rule-test-1", "tea-house", "oolong", "tea", 1, 10.00m);
        Assert.Equal(80, purchase.GetProperty("pointsEarned").GetInt64());
        var contributions = purchase.GetProperty("lines")[0].GetProperty("contributions").EnumerateArray()
            .ToDictionary(c => c.GetProperty("rule").GetString()!, c => c.GetProperty("points").GetInt64());
        Assert.Equal(20, contributions["triple-tea"]);

        await page.OpenAsync("/admin");
        await page.WaitForSelectorAsync("#kpi-issued");
        Assert.Equal(issuedBefore + 80, Number(await page.Locator("#kpi-issued").InnerTextAsync()));
        await page.ScreenshotAsync("admin-dashboard");

        await page.OpenAsync($"/admin/members/{server.Cara.Id}");
        await Assertions.Expect(page.Locator("#ledger-history")).ToContainTextAsync("3× points on tea: +20");
        await Assertions.Expect(page.Locator("#member-purchases")).ToContainTextAsync("rule-test-1");
        await Assertions.Expect(page.Locator("#balance-available")).ToHaveTextAsync("80");
        await page.ScreenshotAsync("admin-member");
    }

    [Fact]
    public async Task Support_staff_can_read_but_not_change_the_programme_rules()
    {
        var page = await server.NewPageAsync();
        await page.StaffSignInAsync(WebServer.SupportEmail);
        await page.OpenAsync("/admin/programme");
        await Assertions.Expect(page.Locator("#read-only-notice")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#rules")).ToContainTextAsync("welcome");
        Assert.Equal(0, await page.Locator("#new-rule").CountAsync());
        Assert.Equal(0, await page.GetByRole(AriaRole.Button, new() { Name = "Save settings" }).CountAsync());

        // Typing the editor's address does not help: the server refuses the page.
        await page.GotoAsync("/admin/programme/rules/welcome");
        await page.WaitForURLAsync("**/admin/denied**");
        Assert.Equal(0, await page.Locator("#rule-save").CountAsync());
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Not allowed" })).ToBeVisibleAsync();

        // What support may do: adjust a member's points with a reason.
        await page.OpenAsync($"/admin/members/{server.Ben.Id}");
        await Assertions.Expect(page.Locator("#adjust-submit")).ToBeVisibleAsync();
    }

    [Fact]
    public async Task A_manual_adjustment_needs_a_reason_and_lands_in_the_ledger()
    {
        var page = await server.NewPageAsync();
        await page.StaffSignInAsync(WebServer.SupportEmail);
        await page.OpenAsync($"/admin/members/{server.Ben.Id}");
        var before = Number(await page.Locator("#balance-available").InnerTextAsync());
        await page.Locator("#adjust-points").FillAsync("25");
        await page.Locator("#adjust-points").BlurAsync();
        await page.Locator("#adjust-submit").ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Alert).Or(page.GetByRole(AriaRole.Status)).First).ToContainTextAsync("reason is required");
        Assert.Equal(before, Number(await page.Locator("#balance-available").InnerTextAsync()));

        await page.Locator("#adjust-reason").FillAsync("Goodwill after a late delivery");
        await page.Locator("#adjust-reason").BlurAsync();
        await page.Locator("#adjust-submit").ClickAsync();
        await Assertions.Expect(page.Locator("#balance-available")).ToHaveTextAsync((before + 25).ToString("N0", CultureInfo.GetCultureInfo("en")));
        await Assertions.Expect(page.Locator("#ledger-history")).ToContainTextAsync("Goodwill after a late delivery: +25");
        await Assertions.Expect(page.Locator("#ledger-history")).ToContainTextAsync("staff:" + WebServer.SupportEmail);
    }

    [Fact]
    public async Task An_analyst_sees_the_dashboard_but_not_the_members()
    {
        var page = await server.NewPageAsync();
        await page.StaffSignInAsync(WebServer.AnalystEmail);
        await Assertions.Expect(page.Locator("#kpi-issued")).ToBeVisibleAsync();
        Assert.Equal(0, await page.GetByRole(AriaRole.Link, new() { Name = "Members" }).CountAsync());
        await page.GotoAsync($"/admin/members/{server.Ana.Id}");
        await page.WaitForURLAsync("**/admin/denied**");
        Assert.DoesNotContain(server.Ana.Name, await page.ContentAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_wrong_password_is_refused_without_saying_whether_the_account_exists()
    {
        var page = await server.NewPageAsync();
        await page.StaffSignInAttemptAsync(WebServer.MarketerEmail, "not-the-password");
        var known = await page.Locator(".error").InnerTextAsync();
        await page.StaffSignInAttemptAsync("nobody@test.treue", "not-the-password");
        var unknown = await page.Locator(".error").InnerTextAsync();
        Assert.Equal("E-mail or password is wrong.", known);
        Assert.Equal(known, unknown);
        await page.ScreenshotAsync("admin-signin");
    }

    [Fact]
    public async Task An_admin_creates_an_API_key_that_is_shown_once_and_works()
    {
        var page = await server.NewPageAsync();
        await page.StaffSignInAsync(WebServer.AdminEmail);
        await page.OpenAsync("/admin/api-keys");
        await page.Locator("#key-name").FillAsync("Till 7");
        await page.Locator("#key-name").BlurAsync();
        await page.Locator("#key-create").ClickAsync();
        var key = (await page.Locator("#new-api-key").InnerTextAsync()).Trim();
        Assert.StartsWith("trk_", key, StringComparison.Ordinal);
        using var client = server.Client(key);
        Assert.True((await client.GetAsync("/api/v1/rewards")).IsSuccessStatusCode);
        await page.ReloadAsync();
        await page.WaitForReadyAsync();
        Assert.Equal(0, await page.Locator("#new-api-key").CountAsync());
        await Assertions.Expect(page.Locator("#api-keys")).ToContainTextAsync("Till 7");
    }

    [Fact]
    public async Task The_member_page_lists_returns_with_the_points_they_took_back()
    {
        var purchase = await server.PurchaseAsync(server.Ben.CardNumber, "return-test-1", "book-corner", "atlas", "books", 2, 15.00m);
        var id = purchase.GetProperty("id").GetString();
        var response = await server.Pos.PostAsJsonAsync($"/api/v1/purchases/{id}/returns", new { returnId = "ret-atlas-1", lines = new[] { new { lineNo = 1, quantity = 1 } } });
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());

        var page = await server.NewPageAsync();
        await page.StaffSignInAsync(WebServer.SupportEmail);
        await page.OpenAsync($"/admin/members/{server.Ben.Id}");
        var row = page.Locator("#member-returns tr", new() { HasText = "ret-atlas-1" });
        await Assertions.Expect(row).ToContainTextAsync("€15.00");
        await Assertions.Expect(row).ToContainTextAsync("−15");
        await Assertions.Expect(page.Locator("#member-purchases")).ToContainTextAsync("return-test-1");
    }
}
