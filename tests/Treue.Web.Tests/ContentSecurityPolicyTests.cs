using Microsoft.Playwright;
using Treue.Web.Tests.Infrastructure;

namespace Treue.Web.Tests;

/// <summary>
/// The console and the portal under the server's Content-Security-Policy: the browser reports every blocked script,
/// style, font or connection as a console error, so a page that works without any is one the policy fits.
/// </summary>
public sealed class ContentSecurityPolicyTests(WebServer server)
{
    private static List<string> Errors(IPage page)
    {
        var errors = new List<string>();
        // The browser asks for /favicon.ico by itself; the site has none, which is not the page's error.
        page.Console += (_, m) =>
        {
            if (m.Type == "error" && !m.Location.Contains("/favicon.ico", StringComparison.Ordinal)) lock (errors) errors.Add(m.Text + " at " + m.Location);
        };
        page.PageError += (_, e) => { lock (errors) errors.Add(e); };
        page.Response += (_, r) => { if (r.Status >= 400) lock (errors) errors.Add($"{r.Status} {r.Url}"); };
        return errors;
    }

    private static async Task ExpectPolicyAsync(IPage page, string path)
    {
        var response = await page.GotoAsync(path);
        var headers = await response!.AllHeadersAsync();
        Assert.Contains("script-src 'self'", headers["content-security-policy"], StringComparison.Ordinal);
        Assert.Equal("nosniff", headers["x-content-type-options"]);
        await page.WaitForReadyAsync();
    }

    [Fact]
    public async Task The_console_renders_and_works_under_the_policy_without_console_errors()
    {
        var page = await server.NewPageAsync();
        var errors = Errors(page);
        await page.StaffSignInAsync(WebServer.AdminEmail);
        await ExpectPolicyAsync(page, "/admin/members");
        // A search is a round trip over the interactive connection, which the policy must let through.
        await page.Locator("#member-search").FillAsync(server.Ana.CardNumber);
        await page.GetByRole(AriaRole.Button, new() { Name = "Search" }).ClickAsync();
        await Assertions.Expect(page.GetByText(server.Ana.Name).First).ToBeVisibleAsync();
        await ExpectPolicyAsync(page, "/admin/analytics/abc");
        await ExpectPolicyAsync(page, "/admin/programme");
        await ExpectPolicyAsync(page, "/admin");
        Assert.True(errors.Count == 0, string.Join(Environment.NewLine, errors));
    }

    [Fact]
    public async Task The_portal_renders_and_works_under_the_policy_without_console_errors()
    {
        var page = await server.NewPageAsync();
        var errors = Errors(page);
        await page.MemberSignInAsync(server.Ana.Email);
        await ExpectPolicyAsync(page, "/portal");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Hello, " + server.Ana.Name })).ToBeVisibleAsync();
        await ExpectPolicyAsync(page, "/portal/history");
        await ExpectPolicyAsync(page, "/portal/rewards");
        await ExpectPolicyAsync(page, "/portal/profile");
        Assert.True(errors.Count == 0, string.Join(Environment.NewLine, errors));
    }
}
