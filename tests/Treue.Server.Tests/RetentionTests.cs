using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Treue.Server.Tests.Infrastructure;

namespace Treue.Server.Tests;

/// <summary>The retention rule on the server's fake clock: inactive members are warned, then erased through the erasure path.</summary>
public abstract class RetentionTests(TreueServer server)
{
    private static async Task<JsonObject> ReadAsync(HttpResponseMessage res)
    {
        await TestProgramme.Expect(res, HttpStatusCode.OK);
        return (await res.Content.ReadFromJsonAsync<JsonObject>(TestProgramme.Json))!;
    }

    private static List<Guid> Ids(JsonObject run, string list) => run[list]!.AsArray().Select(m => Guid.Parse((string)m!["memberId"]!)).ToList();

    [Fact]
    public async Task Inactive_members_are_warned_then_erased_and_a_second_run_does_nothing()
    {
        var p = await server.NewProgrammeAsync();
        var off = await ReadAsync(await p.Admin.GetAsync("/api/v1/privacy/retention"));
        Assert.False((bool)off["enabled"]!);
        var bad = await p.Admin.PutAsJsonAsync("/api/v1/privacy/settings", new { inactiveDays = 5, warningDays = 30, analytics = "exclude", consentTextVersion = "1" }, TestProgramme.Json);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal("inactiveDays", (string)(await bad.Content.ReadFromJsonAsync<JsonObject>())!["field"]!);
        await ReadAsync(await p.Admin.PutAsJsonAsync("/api/v1/privacy/settings", new { inactiveDays = 365, warningDays = 30, analytics = "aggregateOnly", consentTextVersion = "2026-01" }, TestProgramme.Json));

        var tag = Guid.NewGuid().ToString("N")[..8];
        var (idle, idleCard) = await p.EnrolAsync($"Idle Ida {tag}", $"ida.{tag}@example.org");
        var (active, activeCard) = await p.EnrolAsync($"Busy Bea {tag}");
        var (comeback, comebackCard) = await p.EnrolAsync($"Returning Rolf {tag}");
        await p.BuyAsync(TestProgramme.Purchase("i-" + tag, idleCard, ("tea", "drinks", 1, 10m)));

        server.Clock.Advance(TimeSpan.FromDays(200));
        await p.BuyAsync(TestProgramme.Purchase("a-" + tag, activeCard, ("tea", "drinks", 1, 10m)));
        server.Clock.Advance(TimeSpan.FromDays(170));

        // 370 days after the idle members' last activity: a dry run lists them and changes nothing.
        var preview = await ReadAsync(await p.Admin.GetAsync("/api/v1/privacy/retention"));
        Assert.True((bool)preview["dryRun"]!);
        Assert.Equal([idle, comeback], Ids(preview, "warn").Order());
        Assert.Empty(Ids(preview, "erase"));
        Assert.Equal(0, await server.WithDbAsync(db => db.RetentionWarnings.CountAsync(w => w.ProgrammeId == p.Id)));

        var run = await ReadAsync(await p.Admin.PostAsync("/api/v1/privacy/retention/run", null));
        Assert.Equal([idle, comeback], Ids(run, "warn").Order());
        var again = await ReadAsync(await p.Admin.PostAsync("/api/v1/privacy/retention/run", null));
        Assert.Empty(Ids(again, "warn"));
        Assert.Empty(Ids(again, "erase"));
        Assert.Equal([idle, comeback], Ids(again, "waiting").Order());
        // The warning is the message's outbox row: not sent yet, and part of the member's export.
        var warnings = await server.WithDbAsync(db => db.RetentionWarnings.Where(w => w.ProgrammeId == p.Id).ToListAsync());
        Assert.Equal(2, warnings.Count);
        Assert.All(warnings, w => Assert.Null(w.SentAt));
        var export = await ReadAsync(await p.Admin.GetAsync($"/api/v1/members/{idle}/export"));
        Assert.Single(export["privacy"]!["retentionWarnings"]!.AsArray());

        // The returning member buys during the warning period, which voids their warning.
        server.Clock.Advance(TimeSpan.FromDays(10));
        await p.BuyAsync(TestProgramme.Purchase("c-" + tag, comebackCard, ("tea", "drinks", 1, 10m)));
        server.Clock.Advance(TimeSpan.FromDays(21));

        var due = await ReadAsync(await p.Admin.GetAsync("/api/v1/privacy/retention"));
        Assert.Equal([idle], Ids(due, "erase"));
        Assert.Empty(Ids(due, "warn"));
        var before = await LedgerTotalAsync(p.Id);
        var erased = await ReadAsync(await p.Admin.PostAsync("/api/v1/privacy/retention/run", null));
        Assert.Equal([idle], Ids(erased, "erase"));
        var last = await ReadAsync(await p.Admin.PostAsync("/api/v1/privacy/retention/run", null));
        Assert.Empty(Ids(last, "erase"));
        Assert.Empty(Ids(last, "warn"));

        // Erased through the erasure path: the pseudonym, the audit row of the retention rule, the ledger unchanged.
        var after = await ReadAsync(await p.Admin.GetAsync($"/api/v1/members/{idle}/export"));
        Assert.Equal("Erased member", (string)after["member"]!["name"]!);
        Assert.Null(after["member"]!["email"]);
        Assert.Contains(after["audit"]!.AsArray(), a => (string)a!["action"]! == "member.erased" && (string)a["actor"]! == "retention");
        Assert.Equal(before, await LedgerTotalAsync(p.Id));
        Assert.Equal(10, await p.AvailableAsync(idle));
        Assert.Equal($"Busy Bea {tag}", (string)(await ReadAsync(await p.Admin.GetAsync($"/api/v1/members/{active}")))["name"]!);
        Assert.Equal($"Returning Rolf {tag}", (string)(await ReadAsync(await p.Admin.GetAsync($"/api/v1/members/{comeback}")))["name"]!);
        await p.AssertLedgerInvariantsAsync();
    }

    private Task<long> LedgerTotalAsync(Guid programme) => server.WithDbAsync(db =>
        db.LedgerEntries.Where(e => e.ProgrammeId == programme && e.Amount > 0).SumAsync(e => e.Amount));
}

public sealed class RetentionTestsOnSqlite(SqliteServer server) : RetentionTests(server), IClassFixture<SqliteServer>;

public sealed class RetentionTestsOnPostgres(PostgresServer server) : RetentionTests(server), IClassFixture<PostgresServer>;
