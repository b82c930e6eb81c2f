using Treue.Web.Tests.Infrastructure;

namespace Treue.Web.Tests;

/// <summary>The main pages of the console and the portal, in English and German, pass axe-core without a serious or critical violation.</summary>
public sealed class AccessibilityTests(WebServer server)
{
    public static TheoryData<string> Languages => new() { "en-GB", "de-DE" };

    [Theory]
    [MemberData(nameof(Languages))]
    public async Task The_console_pages_have_no_serious_accessibility_violation(string language)
    {
        var page = await server.NewPageAsync(language);
        await page.StaffSignInByIdAsync(WebServer.AdminEmail);
        Assert.Equal(language[..2], await page.Locator("html").GetAttributeAsync("lang"));
        var failures = new List<string>();
        foreach (var path in new[]
                 {
                     "/admin", $"/admin/members/{server.Ana.Id}", "/admin/programme/rules/welcome", "/admin/orders", "/admin/programme",
                     "/admin/api-keys", "/admin/staff", "/admin/audit", "/admin/analytics/abc", "/admin/analytics/rfm", "/admin/analytics/clv",
                     "/admin/analytics/retention", "/admin/analytics/economics", "/admin/campaigns", "/admin/campaigns/new", "/admin/stamp-cards",
                     "/admin/stamp-cards/new", "/admin/data-requests", "/admin/retention",
                     "/admin/triggers", "/admin/triggers/new",
                 })
        {
            await page.OpenAsync(path);
            try { await page.AssertAccessibleAsync(); }
            catch (Xunit.Sdk.XunitException e) { failures.Add(e.Message); }
        }
        Assert.True(failures.Count == 0, string.Join("\n\n", failures));
    }

    [Theory]
    [MemberData(nameof(Languages))]
    public async Task The_portal_pages_have_no_serious_accessibility_violation(string language)
    {
        var page = await server.NewPageAsync(language, width: 390, height: 844);
        var failures = new List<string>();
        await page.GotoAsync("/portal/signin");
        try { await page.AssertAccessibleAsync(); }
        catch (Xunit.Sdk.XunitException e) { failures.Add(e.Message); }
        await page.Locator("#email").FillAsync(server.Ana.Email);
        await page.Locator("#password").FillAsync(WebServer.Password);
        await page.Locator("#password").PressAsync("Enter");
        await page.WaitForURLAsync(url => !url.Contains("/signin", StringComparison.Ordinal));
        await page.WaitForReadyAsync();
        foreach (var path in new[] { "/portal", "/portal/history", "/portal/rewards" })
        {
            await page.OpenAsync(path);
            try { await page.AssertAccessibleAsync(); }
            catch (Xunit.Sdk.XunitException e) { failures.Add(e.Message); }
        }
        Assert.True(failures.Count == 0, string.Join("\n\n", failures));
    }
}
