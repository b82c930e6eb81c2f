using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using Treue.Web.Tests.Infrastructure;

namespace Treue.Web.Tests;

public sealed class LanguageTests(WebServer server)
{
    [Fact]
    public async Task The_language_switch_shows_the_portal_and_the_console_in_German()
    {
        var page = await server.NewPageAsync();
        await page.GotoAsync("/portal/signin");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Your loyalty card" })).ToBeVisibleAsync();
        await page.Locator("a[data-lang='de']").ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Ihre Kundenkarte" })).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Anmelden", Exact = true })).ToBeVisibleAsync();
        Assert.Equal("de", await page.Locator("html").GetAttributeAsync("lang"));

        // The choice is kept (a cookie) and holds in the console too, with German number formats.
        await page.GotoAsync("/admin/signin");
        await page.Locator("#email").FillAsync(WebServer.AdminEmail);
        await page.Locator("#password").FillAsync(WebServer.Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Anmelden" }).ClickAsync();
        await page.WaitForURLAsync(url => !url.Contains("/signin", StringComparison.Ordinal));
        await page.WaitForReadyAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Übersicht" })).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "Mitglieder" })).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#kpi-liability")).ToContainTextAsync("€");
        Assert.Contains(",", await page.Locator("#kpi-liability").InnerTextAsync(), StringComparison.Ordinal);
        await page.ScreenshotAsync("admin-dashboard-de");

        await page.Locator("a[data-lang='en']").ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Dashboard" })).ToBeVisibleAsync();
    }

    [Fact]
    public async Task The_portal_opens_in_the_language_the_member_prefers()
    {
        var email = $"lang-{Guid.NewGuid():N}"[..13] + "@test.treue";
        var member = await server.AddMemberAsync(server.ProgrammeId, "Dora Deutsch", email);
        await using (var db = server.Db())
            await db.Members.Where(m => m.Id == member.Id).ExecuteUpdateAsync(u => u.SetProperty(m => m.Language, "de"), TestContext.Current.CancellationToken);

        // A browser that has never chosen a language signs in (in English) and gets the portal in German.
        var page = await server.NewPageAsync();
        await page.MemberSignInAsync(email);
        Assert.Equal("de", await page.Locator("html").GetAttributeAsync("lang"));
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Abmelden" })).ToBeVisibleAsync();
    }
}
