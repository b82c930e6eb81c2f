using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Playwright;
using Treue.Server.Features.Audit;
using Treue.Server.Web.Admin;
using Treue.Server.Web.Shared;
using Treue.Storage.Entities;
using Treue.Web.Tests.Infrastructure;

namespace Treue.Web.Tests;

/// <summary>Sessions that end, seen in a real browser: a disabled account and a signed-out cookie stop working at once; the audit page.</summary>
public sealed class SessionBrowserTests(WebServer server)
{
    /// <summary>A support account of its own, so that disabling it leaves the other tests' accounts alone.</summary>
    private async Task<string> NewSupportAsync()
    {
        var email = $"temp-{Guid.NewGuid():N}"[..15] + "@test.treue";
        await using var db = server.Db();
        var accounts = new StaffAccounts(db, new SignInThrottle(TimeProvider.System), TimeProvider.System, new ConfigurationBuilder().Build(),
            NullLogger<StaffAccounts>.Instance);
        await accounts.CreateAsync(server.ProgrammeId, email, "Temporary Support", StaffRole.Support, WebServer.Password, AuditActor.System, CancellationToken.None);
        return email;
    }

    [Fact]
    public async Task A_disabled_account_cannot_adjust_points_and_its_cookie_stops_working()
    {
        var email = await NewSupportAsync();
        var support = await server.NewPageAsync();
        await support.StaffSignInAsync(email);
        await support.OpenAsync($"/admin/members/{server.Ana.Id}");
        await Assertions.Expect(support.Locator("#adjust-submit")).ToBeVisibleAsync();

        var admin = await server.NewPageAsync();
        await admin.StaffSignInAsync(WebServer.AdminEmail);
        await admin.OpenAsync("/admin/staff");
        await admin.Locator("tr", new() { HasText = email }).GetByRole(AriaRole.Button, new() { Name = "Disable" }).ClickAsync();
        await Assertions.Expect(admin.Locator("tr", new() { HasText = email })).ToContainTextAsync("disabled");

        // The page that was open before tries an adjustment: it is refused, and no ledger entry names the account. Its live
        // connection may instead have sent the tab to the sign-in page already, before or while the form is filled: that
        // is the other way of refusing it, and the only way a step here may fail.
        try
        {
            await support.Locator("#adjust-points").FillAsync("40", new() { Timeout = 10_000 });
            await support.Locator("#adjust-reason").FillAsync("After being disabled", new() { Timeout = 10_000 });
            await support.Locator("#adjust-reason").BlurAsync(new() { Timeout = 10_000 });
            if (await support.Locator("#adjust-submit").IsVisibleAsync()) await support.Locator("#adjust-submit").ClickAsync(new() { Timeout = 10_000 });
        }
        catch (Exception e) when ((e is TimeoutException or PlaywrightException) && support.Url.Contains("/admin/signin", StringComparison.Ordinal))
        {
        }
        await support.WaitForTimeoutAsync(1000);
        await using (var db = server.Db())
        {
            Assert.False(await db.LedgerTransactions.AnyAsync(t => t.Actor == "staff:" + email));
            // The console's act is audited with the admin who did it.
            var disabled = await db.AuditEntries.SingleAsync(e => e.Action == AuditActions.StaffDisabled && e.Target == email);
            Assert.Equal((AuditActorKind.Staff, WebServer.AdminEmail), (disabled.ActorKind, disabled.Actor));
        }

        // The cookie it still holds is refused on the next request. A new tab of the same browser sends it; the old tab's
        // live connection may already be navigating to the sign-in page on its own, which would interrupt a navigation there.
        var again = await support.Context.NewPageAsync();
        await again.GotoAsync($"/admin/members/{server.Ana.Id}");
        await again.WaitForURLAsync("**/admin/signin**");
    }

    private static async Task<IEnumerable<Cookie>> CookiesOfAsync(IPage page) =>
        (await page.Context.CookiesAsync()).Select(c => new Cookie
        {
            Name = c.Name, Value = c.Value, Domain = c.Domain, Path = c.Path, Expires = c.Expires, HttpOnly = c.HttpOnly, Secure = c.Secure, SameSite = c.SameSite,
        });

    [Fact]
    public async Task A_copy_of_the_cookie_stops_working_when_its_session_signs_out()
    {
        var first = await server.NewPageAsync();
        await first.StaffSignInAsync(WebServer.MarketerEmail);
        var copy = await server.NewPageAsync();
        await copy.Context.AddCookiesAsync(await CookiesOfAsync(first));
        await copy.OpenAsync("/admin");
        Assert.DoesNotContain("/admin/signin", copy.Url, StringComparison.Ordinal);

        await first.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await first.WaitForURLAsync("**/admin/signin");
        // A new tab with the copied cookie: the copy's open tab may be leaving for the sign-in page on its own already.
        var copyAgain = await copy.Context.NewPageAsync();
        await copyAgain.GotoAsync("/admin/programme");
        await copyAgain.WaitForURLAsync("**/admin/signin**");

        // The same for a member of the portal.
        var member = await server.NewPageAsync();
        await member.MemberSignInAsync(server.Cara.Email);
        var memberCopy = await server.NewPageAsync();
        await memberCopy.Context.AddCookiesAsync(await CookiesOfAsync(member));
        await member.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await member.WaitForURLAsync("**/portal/signin");
        await memberCopy.GotoAsync("/portal/rewards");
        await memberCopy.WaitForURLAsync("**/portal/signin**");
    }

    [Fact]
    public async Task The_audit_page_lists_acts_with_a_total_and_filters_them()
    {
        var email = await NewSupportAsync();
        var page = await server.NewPageAsync();
        await page.StaffSignInAsync(WebServer.AdminEmail);
        await page.GetByRole(AriaRole.Link, new() { Name = "Audit log" }).ClickAsync();
        await page.WaitForURLAsync("**/admin/audit");
        await page.WaitForReadyAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Audit log" })).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#audit")).ToContainTextAsync("Staff signed in");

        await page.Locator("#audit-actor").FillAsync(email);
        await page.Locator("#audit-actor").BlurAsync();
        await page.Locator("#audit-filter").ClickAsync();
        await Assertions.Expect(page.Locator("#audit-total")).ToHaveTextAsync("0 entries");

        await page.Locator("#audit-actor").FillAsync("system");
        await page.Locator("#audit-actor").BlurAsync();
        await page.Locator("#audit-filter").ClickAsync();
        await Assertions.Expect(page.Locator("#audit")).ToContainTextAsync("Staff account created");
        await Assertions.Expect(page.Locator("#audit")).ToContainTextAsync(email);
        Assert.DoesNotContain("Staff signed in", await page.Locator("#audit").InnerTextAsync(), StringComparison.Ordinal);

        // Only admins see it.
        var support = await server.NewPageAsync();
        await support.StaffSignInAsync(WebServer.SupportEmail);
        Assert.Equal(0, await support.GetByRole(AriaRole.Link, new() { Name = "Audit log" }).CountAsync());
        await support.GotoAsync("/admin/audit");
        await support.WaitForURLAsync("**/admin/denied**");
    }
}
