using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Treue.Server.Features.Audit;
using Treue.Server.Tests.Infrastructure;
using Treue.Server.Web.Admin;
using Treue.Storage.Entities;

namespace Treue.Server.Tests;

/// <summary>Every administrative act leaves one audit row, readable by the programme's admin key and by nobody else.</summary>
public abstract class AuditTests(TreueServer server)
{
    private const string Password = "correct-horse-battery";

    private static async Task<List<JsonObject>> AuditAsync(TestProgramme p, string query = "")
    {
        var res = await p.Admin.GetAsync("/api/v1/audit" + query);
        await TestProgramme.Expect(res, HttpStatusCode.OK);
        var page = (await res.Content.ReadFromJsonAsync<JsonObject>(TestProgramme.Json))!;
        return page["items"]!.AsArray().Select(i => i!.AsObject()).ToList();
    }

    private static List<string> Actions(List<JsonObject> rows) => rows.Select(r => (string)r["action"]!).ToList();

    [Fact]
    public async Task Card_member_adjustment_key_and_programme_acts_through_the_API_are_audited()
    {
        var p = await server.NewProgrammeAsync();
        var (member, card) = await p.EnrolAsync("Audrey Audited");
        await TestProgramme.Expect(await p.Admin.PostAsJsonAsync($"/api/v1/members/{member}/cards", new { kind = "digital" }), HttpStatusCode.Created);
        await TestProgramme.Expect(await p.Admin.PostAsJsonAsync($"/api/v1/cards/{card}/block", new { reason = "lost" }), HttpStatusCode.OK);
        var replaced = await p.Admin.PostAsJsonAsync($"/api/v1/cards/{card}/replace", new { });
        await TestProgramme.Expect(replaced, HttpStatusCode.Created);
        await p.GiveAsync(member, 250);
        await TestProgramme.Expect(await p.Admin.PatchAsJsonAsync($"/api/v1/members/{member}", new { status = "blocked", reason = "Chargebacks" }), HttpStatusCode.OK);
        var key = await p.Admin.PostAsJsonAsync("/api/v1/api-keys", new { name = "Till 9", role = "pos" });
        await TestProgramme.Expect(key, HttpStatusCode.Created);
        var keyId = (string)(await key.Content.ReadFromJsonAsync<JsonObject>())!["apiKey"]!["id"]!;
        await TestProgramme.Expect(await p.Admin.PostAsync($"/api/v1/api-keys/{keyId}/revoke", null), HttpStatusCode.OK);
        var document = (await p.Admin.GetFromJsonAsync<JsonObject>("/api/v1/programme", TestProgramme.Json))!;
        document["name"] = "Renamed programme";
        await TestProgramme.Expect(await p.Admin.PutAsJsonAsync("/api/v1/programme", document, TestProgramme.Json), HttpStatusCode.OK);

        var rows = await AuditAsync(p);
        Assert.Equal(
            [AuditActions.ProgrammeChanged, AuditActions.ApiKeyRevoked, AuditActions.ApiKeyCreated, AuditActions.MemberStatusChanged,
             AuditActions.PointsAdjusted, AuditActions.CardReplaced, AuditActions.CardBlocked, AuditActions.CardIssued],
            Actions(rows).Take(8).ToList());
        Assert.All(rows.Take(8), r => Assert.Equal("apiKey", (string)r["actorKind"]!));
        var memberRows = rows.Where(r => (string?)r["memberId"] == member.ToString()).Select(r => (string)r["action"]!).ToList();
        Assert.Equal([AuditActions.MemberStatusChanged, AuditActions.PointsAdjusted, AuditActions.CardReplaced, AuditActions.CardBlocked, AuditActions.CardIssued], memberRows);
        Assert.Equal("active -> blocked: Chargebacks", (string)rows.Single(r => (string)r["action"]! == AuditActions.MemberStatusChanged)["details"]!);
    }

    [Fact]
    public async Task A_status_change_through_the_API_needs_a_reason_and_the_member_history_shows_it()
    {
        var p = await server.NewProgrammeAsync();
        var (member, _) = await p.EnrolAsync("Rhea Reasoned");
        var without = await p.Admin.PatchAsJsonAsync($"/api/v1/members/{member}", new { status = "blocked" });
        Assert.Equal(HttpStatusCode.BadRequest, without.StatusCode);
        Assert.Equal("reason", (string)(await without.Content.ReadFromJsonAsync<JsonObject>())!["field"]!);
        var tooLong = await p.Admin.PatchAsJsonAsync($"/api/v1/members/{member}", new { status = "blocked", reason = new string('x', 501) });
        Assert.Equal(HttpStatusCode.BadRequest, tooLong.StatusCode);
        var unchanged = (await p.Admin.GetFromJsonAsync<JsonObject>($"/api/v1/members/{member}", TestProgramme.Json))!;
        Assert.Equal("active", (string)unchanged["status"]!, ignoreCase: true);

        var with = await p.Admin.PatchAsJsonAsync($"/api/v1/members/{member}", new { status = "blocked", reason = " Chargebacks on three orders ", name = "Rhea R." });
        await TestProgramme.Expect(with, HttpStatusCode.OK);
        var view = (await with.Content.ReadFromJsonAsync<JsonObject>(TestProgramme.Json))!;
        Assert.Equal("blocked", (string)view["status"]!, ignoreCase: true);
        Assert.Equal("Rhea R.", (string)view["name"]!);

        var rows = await AuditAsync(p, "?memberId=" + member);
        var change = Assert.Single(rows, r => (string)r["action"]! == AuditActions.MemberStatusChanged);
        Assert.Equal("active -> blocked: Chargebacks on three orders", (string)change["details"]!);
        // The member page reads its history the same way for a change made in the console and one made by a key.
        var history = await server.WithDbAsync(db => MemberHistory.ReadAsync(db, p.Id, member, 10, CancellationToken.None));
        var entry = Assert.Single(history, h => h.Action == AuditActions.MemberStatusChanged);
        Assert.Equal(AuditActorKind.ApiKey, entry.ActorKind);
        Assert.Equal(("active", "blocked", "Chargebacks on three orders"), (entry.Previous, entry.Other, entry.Reason));
        var stored = await server.WithDbAsync(db => db.Members.AsNoTracking().SingleAsync(m => m.Id == member));
        Assert.Equal(MemberStatus.Blocked, stored.Status);
    }

    [Fact]
    public async Task Staff_sign_ins_failures_and_account_changes_are_audited()
    {
        var p = await server.NewProgrammeAsync();
        var email = $"aud-{Guid.NewGuid():N}@test.treue";
        StaffUser user;
        using (var scope = server.Services.CreateScope())
        {
            var accounts = scope.ServiceProvider.GetRequiredService<StaffAccounts>();
            user = await accounts.CreateAsync(p.Id, email, "Audit Person", StaffRole.Support, Password, AuditActor.System, CancellationToken.None);
        }
        using var browser = PageClient.For(server);
        Assert.Equal(HttpStatusCode.OK, (await browser.StaffSignInAsync(email, "wrong password!")).StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await browser.StaffSignInAsync(email, Password)).StatusCode);
        using (var scope = server.Services.CreateScope())
        {
            var accounts = scope.ServiceProvider.GetRequiredService<StaffAccounts>();
            await accounts.SetRoleAsync(p.Id, user.Id, StaffRole.Marketer, AuditActor.System, CancellationToken.None);
            await accounts.SetActiveAsync(p.Id, user.Id, false, AuditActor.System, CancellationToken.None);
        }

        var rows = await AuditAsync(p, "?actor=" + Uri.EscapeDataString(email));
        Assert.Equal([AuditActions.StaffSignIn, AuditActions.StaffSignInFailed], Actions(rows));
        Assert.Equal(user.Id.ToString(), (string)rows[0]["actorId"]!);
        var all = Actions(await AuditAsync(p));
        Assert.Equal([AuditActions.StaffDisabled, AuditActions.StaffRoleChanged, AuditActions.StaffSignIn, AuditActions.StaffSignInFailed, AuditActions.StaffCreated],
            all.Where(a => a.StartsWith("staff.", StringComparison.Ordinal)).ToList());
    }

    [Fact]
    public async Task The_audit_log_is_filtered_paged_bounded_and_never_shows_another_programme()
    {
        var p = await server.NewProgrammeAsync();
        var other = await server.NewProgrammeAsync();
        var (ada, _) = await p.EnrolAsync("Ada");
        var (bob, _) = await p.EnrolAsync("Bob");
        for (var i = 0; i < 3; i++) await p.GiveAsync(ada, 10 + i);
        await p.GiveAsync(bob, 5);
        var (olga, _) = await other.EnrolAsync("Olga");
        await other.GiveAsync(olga, 7);

        Assert.Equal(3, (await AuditAsync(p, $"?memberId={ada}")).Count);
        Assert.Single(await AuditAsync(p, $"?memberId={bob}&action={AuditActions.PointsAdjusted}"));
        Assert.Empty(await AuditAsync(p, $"?memberId={olga}"));
        Assert.Empty(await AuditAsync(p, $"?action={AuditActions.CardBlocked}"));
        var now = server.Clock.GetUtcNow();
        Assert.Equal(4, (await AuditAsync(p, $"?action={AuditActions.PointsAdjusted}&from={Uri.EscapeDataString(now.AddMinutes(-1).ToString("O"))}&to={Uri.EscapeDataString(now.AddMinutes(1).ToString("O"))}")).Count);
        Assert.Empty(await AuditAsync(p, $"?from={Uri.EscapeDataString(now.AddDays(1).ToString("O"))}"));
        Assert.All(await AuditAsync(other), r => Assert.NotEqual(ada.ToString(), (string?)r["memberId"]));
        Assert.DoesNotContain(await AuditAsync(p), r => (string?)r["memberId"] == olga.ToString());

        // Cursor pages: every adjustment once, newest first.
        var seen = new List<long>();
        string? cursor = null;
        do
        {
            var res = await p.Admin.GetAsync($"/api/v1/audit?action={AuditActions.PointsAdjusted}&limit=3" + (cursor is null ? "" : "&cursor=" + cursor));
            var page = (await res.Content.ReadFromJsonAsync<JsonObject>())!;
            seen.AddRange(page["items"]!.AsArray().Select(i => (long)i!["id"]!));
            cursor = (string?)page["nextCursor"];
        } while (cursor is not null);
        Assert.Equal(4, seen.Count);
        Assert.Equal(seen.OrderDescending(), seen);

        foreach (var bad in new[] { "?from=0001-01-01", "?to=9999-12-31T23:59:59Z", "?action=nonsense", "?limit=0", "?limit=100000", "?cursor=!!",
                     "?from=2026-06-02&to=2026-06-01", "?actor=" + new string('x', 400) })
        {
            var res = await p.Admin.GetAsync("/api/v1/audit" + bad);
            Assert.True(res.StatusCode == HttpStatusCode.BadRequest, bad + ": " + (int)res.StatusCode);
            Assert.Equal("application/problem+json", res.Content.Headers.ContentType?.MediaType);
        }
        Assert.Equal(HttpStatusCode.Forbidden, (await p.Pos.GetAsync("/api/v1/audit")).StatusCode);
    }
}

public sealed class AuditTestsOnSqlite(SqliteServer server) : AuditTests(server), IClassFixture<SqliteServer>;

public sealed class AuditTestsOnPostgres(PostgresServer server) : AuditTests(server), IClassFixture<PostgresServer>;
