using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Treue.Server.Features.Audit;
using Treue.Server.Features.Ledger;
using Treue.Server.Features.Programmes;
using Treue.Server.Tests.Infrastructure;
using Treue.Server.Web.Admin;
using Treue.Server.Web.Portal;
using Treue.Storage;
using Treue.Storage.Entities;

namespace Treue.Server.Tests;

/// <summary>
/// Console and portal sessions end on the server: a disabled account, a changed role, a closed member and a
/// signed-out session take effect on the next request, whatever copy of the cookie is sent.
/// </summary>
public abstract class SessionTests(TreueServer server)
{
    private const string Password = "correct-horse-battery";

    private async Task<StaffUser> StaffAsync(TestProgramme p, StaffRole role)
    {
        using var scope = server.Services.CreateScope();
        var accounts = scope.ServiceProvider.GetRequiredService<StaffAccounts>();
        return await accounts.CreateAsync(p.Id, $"{role}-{Guid.NewGuid():N}@test.treue".ToLowerInvariant(), role + " user", role, Password, AuditActor.System,
            CancellationToken.None);
    }

    private async Task<PageClient> SignedInAsync(StaffUser user)
    {
        var client = PageClient.For(server);
        var response = await client.StaffSignInAsync(user.Email, Password);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.True(client.Cookies.ContainsKey("treue_staff"), "no staff cookie after signing in");
        return client;
    }

    private async Task WithStaffAccountsAsync(Func<StaffAccounts, Task> action)
    {
        using var scope = server.Services.CreateScope();
        await action(scope.ServiceProvider.GetRequiredService<StaffAccounts>());
    }

    [Fact]
    public async Task A_disabled_accounts_cookie_is_refused_on_the_next_request()
    {
        var p = await server.NewProgrammeAsync();
        var (member, _) = await p.EnrolAsync("Dora Disabled");
        var support = await StaffAsync(p, StaffRole.Support);
        using var browser = await SignedInAsync(support);
        using var copy = browser.CopyTo(PageClient.For(server));
        Assert.True(await browser.CanOpenAsync($"/admin/members/{member}"));

        await WithStaffAccountsAsync(a => a.SetActiveAsync(p.Id, support.Id, false, AuditActor.System, CancellationToken.None));

        Assert.False(await browser.CanOpenAsync($"/admin/members/{member}"));
        Assert.False(await copy.CanOpenAsync($"/admin/members/{member}"));
        Assert.False(await copy.CanOpenAsync("/admin"));
    }

    [Fact]
    public async Task A_disabled_account_never_becomes_the_actor_of_an_adjustment()
    {
        var p = await server.NewProgrammeAsync();
        var (member, _) = await p.EnrolAsync("Ada");
        var support = await StaffAsync(p, StaffRole.Support);
        await WithStaffAccountsAsync(a => a.SetActiveAsync(p.Id, support.Id, false, AuditActor.System, CancellationToken.None));

        using var scope = server.Services.CreateScope();
        var services = scope.ServiceProvider;
        var actor = new AuditActor(AuditActorKind.Staff, support.Id, support.Email, null);
        var (tx, problem) = await LedgerEndpoints.AdjustAsync(services.GetRequiredService<TreueDb>(), services.GetRequiredService<PointsLedger>(),
            services.GetRequiredService<ProgrammeCache>(), p.Id, member, 100, "goodwill", actor, server.Clock.GetUtcNow().UtcDateTime, CancellationToken.None);
        Assert.Null(tx);
        Assert.Equal(403, problem!.StatusCode);
        Assert.Equal(0, await p.AvailableAsync(member));
        Assert.False(await server.WithDbAsync(db => db.LedgerTransactions.AnyAsync(t => t.ProgrammeId == p.Id && t.Actor == actor.LedgerName)));
    }

    [Fact]
    public async Task A_changed_role_takes_effect_on_the_next_request()
    {
        var p = await server.NewProgrammeAsync();
        var admin = await StaffAsync(p, StaffRole.Admin);
        using var browser = await SignedInAsync(admin);
        Assert.True(await browser.CanOpenAsync("/admin/staff"));

        await WithStaffAccountsAsync(a => a.SetRoleAsync(p.Id, admin.Id, StaffRole.Analyst, AuditActor.System, CancellationToken.None));
        Assert.False(await browser.CanOpenAsync("/admin/staff"));
        Assert.True(await browser.CanOpenAsync("/admin/analytics/abc"));

        await WithStaffAccountsAsync(a => a.SetRoleAsync(p.Id, admin.Id, StaffRole.Admin, AuditActor.System, CancellationToken.None));
        Assert.True(await browser.CanOpenAsync("/admin/staff"));
    }

    [Fact]
    public async Task A_copy_of_the_cookie_taken_before_signing_out_is_refused()
    {
        var p = await server.NewProgrammeAsync();
        var (member, _) = await p.EnrolAsync("Sam Signedout");
        var support = await StaffAsync(p, StaffRole.Support);
        using var browser = await SignedInAsync(support);
        using var copy = browser.CopyTo(PageClient.For(server));
        Assert.True(await copy.CanOpenAsync($"/admin/members/{member}"));

        var token = await browser.TokenAsync("/admin");
        var signout = await browser.PostFormAsync("/admin/signout", new Dictionary<string, string> { ["__RequestVerificationToken"] = token });
        Assert.Equal(HttpStatusCode.Redirect, signout.StatusCode);
        Assert.Equal("/admin/signin", signout.Headers.Location?.OriginalString);

        Assert.False(await copy.CanOpenAsync($"/admin/members/{member}"));
        Assert.True(await server.WithDbAsync(db => db.WebSessions.AnyAsync(s => s.SubjectId == support.Id && s.EndedAt != null)));
    }

    [Fact]
    public async Task Signing_out_without_the_antiforgery_token_is_refused_and_ends_nothing()
    {
        var p = await server.NewProgrammeAsync();
        var support = await StaffAsync(p, StaffRole.Support);
        using var browser = await SignedInAsync(support);
        var signout = await browser.PostFormAsync("/admin/signout", new Dictionary<string, string>());
        Assert.Equal(HttpStatusCode.BadRequest, signout.StatusCode);
        Assert.True(await browser.CanOpenAsync("/admin"));

        using var portal = (await MemberSignedInAsync(p, "Nora Noforgery")).Client;
        var refused = await portal.PostFormAsync("/portal/signout", new Dictionary<string, string>());
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.True(await portal.CanOpenAsync("/portal"));
    }

    private async Task<(Guid Id, PageClient Client, HttpResponseMessage SignIn)> MemberSignedInAsync(TestProgramme p, string name)
    {
        var email = $"m-{Guid.NewGuid():N}@example.org";
        var (member, _) = await p.EnrolAsync(name, email);
        using (var scope = server.Services.CreateScope())
            await scope.ServiceProvider.GetRequiredService<MemberAccounts>().SetPasswordAsync(p.Id, member, Password, CancellationToken.None);
        // The portal serves one programme: this test's (tests of a class run one after the other).
        server.Services.GetRequiredService<IConfiguration>()["Treue:Portal:Programme"] = p.Code;
        var client = PageClient.For(server);
        var response = await client.MemberSignInAsync(email, Password);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.True(client.Cookies.ContainsKey("treue_member"), "no member cookie after signing in");
        return (member, client, response);
    }

    [Fact]
    public async Task The_member_cookie_lasts_fourteen_days_and_a_signed_out_copy_is_refused()
    {
        var p = await server.NewProgrammeAsync();
        var signedIn = await MemberSignedInAsync(p, "Mia Member");
        using var browser = signedIn.Client;
        var cookie = signedIn.SignIn.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("treue_member=", StringComparison.Ordinal));
        var expires = cookie.Split(';').Select(a => a.Trim()).Single(a => a.StartsWith("expires=", StringComparison.OrdinalIgnoreCase))["expires=".Length..];
        var lifetime = DateTimeOffset.Parse(expires, System.Globalization.CultureInfo.InvariantCulture) - server.Clock.GetUtcNow();
        Assert.InRange(lifetime.TotalDays, 13.9, 14.1);

        using var copy = browser.CopyTo(PageClient.For(server));
        Assert.True(await copy.CanOpenAsync("/portal"));
        var token = await browser.TokenAsync("/portal");
        var signout = await browser.PostFormAsync("/portal/signout", new Dictionary<string, string> { ["__RequestVerificationToken"] = token });
        Assert.Equal(HttpStatusCode.Redirect, signout.StatusCode);
        Assert.False(await copy.CanOpenAsync("/portal"));
    }

    [Fact]
    public async Task A_closed_members_cookie_is_refused_on_the_next_request()
    {
        var p = await server.NewProgrammeAsync();
        var signedIn = await MemberSignedInAsync(p, "Cleo Closed");
        var member = signedIn.Id;
        using var browser = signedIn.Client;
        Assert.True(await browser.CanOpenAsync("/portal"));
        await TestProgramme.Expect(await p.Admin.PatchAsJsonAsync($"/api/v1/members/{member}", new { status = "closed", reason = "Asked to leave the programme" }), HttpStatusCode.OK);
        Assert.False(await browser.CanOpenAsync("/portal"));
    }
}

public sealed class SessionTestsOnSqlite(SqliteServer server) : SessionTests(server), IClassFixture<SqliteServer>;

public sealed class SessionTestsOnPostgres(PostgresServer server) : SessionTests(server), IClassFixture<PostgresServer>;
