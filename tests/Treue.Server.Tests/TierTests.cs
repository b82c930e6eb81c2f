using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Treue.Server.Features.Demo;
using Treue.Server.Tests.Infrastructure;
using Treue.Storage.Entities;

namespace Treue.Server.Tests;

/// <summary>
/// Tiers through the API on a real database: the definition, upgrades in the purchase's transaction, the multiplier in the
/// earned points and their explanation, returns that undo an upgrade, the review at period end with grace and a limited
/// fall on a fake clock, and a level set by staff.
/// </summary>
public abstract class TierTests(TreueServer server)
{
    /// <summary>Spend over the calendar year: Silver from 100, Gold from 300; a grace of 30 days and one level down at a time.</summary>
    internal static object Definition(bool returnUndoes = true) => new
    {
        measure = "spend", period = "calendarYear", graceDays = 30, maxLevelsDown = 1, returnUndoesUpgrade = returnUndoes,
        levels = new object[]
        {
            new { code = "classic", name = "Classic", threshold = 0 },
            new { code = "silver", name = "Silver", threshold = 100, earningMultiplier = 1.5m, serviceFlags = new[] { "free_express_delivery" } },
            new { code = "gold", name = "Gold", threshold = 300, earningMultiplier = 2m, serviceFlags = new[] { "free_express_delivery", "personal_advisor" } },
        },
    };

    private async Task<TestProgramme> ProgrammeWithTiersAsync(bool returnUndoes = true)
    {
        var p = await server.NewProgrammeAsync();
        await TestProgramme.Expect(await p.Admin.PutAsJsonAsync("/api/v1/tiers", Definition(returnUndoes), TestProgramme.Json), HttpStatusCode.OK);
        return p;
    }

    private static async Task<JsonObject> TierAsync(TestProgramme p, Guid member)
    {
        var res = await p.Pos.GetAsync($"/api/v1/members/{member}/tier");
        await TestProgramme.Expect(res, HttpStatusCode.OK);
        return (await res.Content.ReadFromJsonAsync<JsonObject>(TestProgramme.Json))!;
    }

    private static object Buy(string receipt, string card, decimal amount) => TestProgramme.Purchase(receipt, card, ("sku", "food", 1m, amount));

    private static async Task<JsonObject> ProblemAsync(HttpResponseMessage res, HttpStatusCode status)
    {
        await TestProgramme.Expect(res, status);
        return (await res.Content.ReadFromJsonAsync<JsonObject>(TestProgramme.Json))!;
    }

    [Fact]
    public async Task A_purchase_that_reaches_a_level_upgrades_at_once_and_the_next_purchase_earns_with_its_multiplier()
    {
        var p = await ProgrammeWithTiersAsync();
        var stored = (await p.Pos.GetFromJsonAsync<JsonObject>("/api/v1/tiers", TestProgramme.Json))!;
        Assert.Equal("UTC", (string)stored["timeZone"]!);
        Assert.Equal(1.5m, (decimal)stored["levels"]![1]!["earningMultiplier"]!);
        var (member, card) = await p.EnrolAsync();

        await p.BuyAsync(Buy("t-1", card, 60m));
        var before = await TierAsync(p, member);
        Assert.Equal("classic", (string)before["level"]!);
        Assert.Equal(60m, (decimal)before["progress"]!["measured"]!);
        Assert.Equal("silver", (string)before["progress"]!["nextLevel"]!);
        Assert.Equal(40m, (decimal)before["progress"]!["missing"]!);
        Assert.Equal($"{server.Clock.GetUtcNow().Year}-12-31", (string)before["progress"]!["qualifyBy"]!);
        Assert.Empty(before["serviceFlags"]!.AsArray());

        // The purchase that reaches Silver earns at Classic; the upgrade is written with it.
        var upgrading = await p.BuyAsync(Buy("t-2", card, 50m));
        Assert.Equal(50, (long)upgrading["pointsEarned"]!);
        var after = await TierAsync(p, member);
        Assert.Equal("silver", (string)after["level"]!);
        Assert.Equal("Silver", (string)after["name"]!);
        Assert.Equal("free_express_delivery", (string)after["serviceFlags"]![0]!);
        Assert.Equal(190m, (decimal)after["progress"]!["missing"]!);
        var history = after["history"]!.AsArray();
        Assert.Single(history);
        Assert.Equal("upgrade", (string)history[0]!["reason"]!);
        Assert.Equal("t-2", (string)history[0]!["reference"]!);
        Assert.Equal("classic", (string)history[0]!["from"]!);

        // Silver earns half as many again, explained on the line.
        var multiplied = await p.BuyAsync(Buy("t-3", card, 10m));
        Assert.Equal(15, (long)multiplied["pointsEarned"]!);
        var contributions = multiplied["lines"]![0]!["contributions"]!.AsArray();
        Assert.Contains(contributions, c => (long)c!["points"]! == 5 && ((string)c["name"]!).Contains("Silver tier", StringComparison.Ordinal));
        // Status is not spendable: the balance holds the earned points only.
        Assert.Equal(60 + 50 + 15, await p.AvailableAsync(member));
        await p.AssertLedgerInvariantsAsync();
        var (activity, rows) = await server.WithDbAsync(async db => (
            await db.TierActivity.Where(a => a.MemberId == member).SumAsync(a => a.SpendMinor),
            await db.MemberTiers.CountAsync(t => t.MemberId == member)));
        Assert.Equal(12000, activity);
        Assert.Equal(1, rows);
    }

    [Fact]
    public async Task A_return_that_undoes_the_qualifying_purchase_undoes_the_upgrade_and_takes_back_the_multiplied_points()
    {
        var p = await ProgrammeWithTiersAsync();
        var (member, card) = await p.EnrolAsync();
        await p.BuyAsync(Buy("r-1", card, 60m));
        var upgrading = await p.BuyAsync(Buy("r-2", card, 50m));
        Assert.Equal("silver", (string)(await TierAsync(p, member))["level"]!);
        var multiplied = await p.BuyAsync(Buy("r-3", card, 20m));
        Assert.Equal(30, (long)multiplied["pointsEarned"]!);

        // Returning the multiplied purchase takes back its points, multiplier included; the level stays (r-3 did not bring it).
        var back = await p.Pos.PostAsJsonAsync($"/api/v1/purchases/{(string)multiplied["id"]!}/returns",
            new { returnId = "ret-3", lines = new[] { new { lineNo = 1, quantity = 1m } } }, TestProgramme.Json);
        await TestProgramme.Expect(back, HttpStatusCode.Created);
        Assert.Equal(60 + 50, await p.AvailableAsync(member));
        Assert.Equal("silver", (string)(await TierAsync(p, member))["level"]!);

        var res = await p.Pos.PostAsJsonAsync($"/api/v1/purchases/{(string)upgrading["id"]!}/returns",
            new { returnId = "ret-2", lines = new[] { new { lineNo = 1, quantity = 1m } } }, TestProgramme.Json);
        await TestProgramme.Expect(res, HttpStatusCode.Created);
        var tier = await TierAsync(p, member);
        Assert.Equal("classic", (string)tier["level"]!);
        Assert.Equal(60m, (decimal)tier["progress"]!["measured"]!);
        var history = tier["history"]!.AsArray();
        Assert.Equal("upgradeReturned", (string)history[0]!["reason"]!);
        Assert.Equal("r-2", (string)history[0]!["reference"]!);
        Assert.Equal("upgrade", (string)history[1]!["reason"]!);
        await p.AssertLedgerInvariantsAsync();
    }

    [Fact]
    public async Task A_programme_that_keeps_upgrades_on_return_keeps_the_level()
    {
        var p = await ProgrammeWithTiersAsync(returnUndoes: false);
        var (member, card) = await p.EnrolAsync();
        var upgrading = await p.BuyAsync(Buy("k-1", card, 120m));
        var res = await p.Pos.PostAsJsonAsync($"/api/v1/purchases/{(string)upgrading["id"]!}/returns",
            new { returnId = "k-ret", lines = new[] { new { lineNo = 1, quantity = 1m } } }, TestProgramme.Json);
        await TestProgramme.Expect(res, HttpStatusCode.Created);
        var tier = await TierAsync(p, member);
        Assert.Equal("silver", (string)tier["level"]!);
        Assert.Equal(0m, (decimal)tier["progress"]!["measured"]!);
    }

    [Fact]
    public async Task The_review_downgrades_only_after_the_period_and_its_grace_by_at_most_one_level_and_only_once()
    {
        var p = await ProgrammeWithTiersAsync();
        var (member, card) = await p.EnrolAsync();
        await p.BuyAsync(Buy("v-1", card, 310m));
        var gold = await TierAsync(p, member);
        Assert.Equal("gold", (string)gold["level"]!);
        var year = server.Clock.GetUtcNow().Year;
        // Reached this year, Gold holds through next year; with 30 days' grace, until 30 January the year after.
        Assert.Equal($"{year + 1}-12-31", (string)gold["heldUntil"]!);
        Assert.Equal($"{year + 2}-01-30", (string)gold["progress"]!["holdsUntil"]!);

        // The clock only goes forward: the other tests of this server read the year from it.
        server.Clock.SetUtcNow(new DateTimeOffset(year + 2, 1, 30, 12, 0, 0, TimeSpan.Zero));
        Assert.Equal(0, (int)(await p.RunJobAsync("tier-review"))["changes"]!);
        Assert.Equal("gold", (string)(await TierAsync(p, member))["level"]!);

        server.Clock.SetUtcNow(new DateTimeOffset(year + 2, 1, 31, 12, 0, 0, TimeSpan.Zero));
        Assert.Equal(1, (int)(await p.RunJobAsync("tier-review"))["changes"]!);
        var tier = await TierAsync(p, member);
        // Nothing spent in the year the period ended: it would be Classic, but one review falls one level.
        Assert.Equal("silver", (string)tier["level"]!);
        Assert.Equal("downgrade", (string)tier["history"]![0]!["reason"]!);
        Assert.Equal($"{year + 2}-12-31", (string)tier["heldUntil"]!);

        // The same day again changes nothing.
        Assert.Equal(0, (int)(await p.RunJobAsync("tier-review"))["changes"]!);
        Assert.Equal(2, (await TierAsync(p, member))["history"]!.AsArray().Count);
    }

    [Fact]
    public async Task Staff_set_a_tier_with_a_reason_and_an_end_date_and_bad_input_names_the_field()
    {
        var p = await ProgrammeWithTiersAsync();
        var (member, _) = await p.EnrolAsync();
        var until = DateOnly.FromDateTime(server.Clock.GetUtcNow().UtcDateTime).AddDays(30);

        var noReason = await ProblemAsync(await p.Admin.PutAsJsonAsync($"/api/v1/members/{member}/tier", new { level = "gold", reason = "", until }, TestProgramme.Json),
            HttpStatusCode.BadRequest);
        Assert.Equal("reason", (string)noReason["field"]!);
        var unknown = await ProblemAsync(await p.Admin.PutAsJsonAsync($"/api/v1/members/{member}/tier", new { level = "platinum", reason = "VIP", until },
            TestProgramme.Json), HttpStatusCode.UnprocessableEntity);
        Assert.Equal("level", (string)unknown["field"]!);
        Assert.Equal("unknown_tier", (string)unknown["code"]!);
        var past = await ProblemAsync(await p.Admin.PutAsJsonAsync($"/api/v1/members/{member}/tier",
            new { level = "gold", reason = "VIP", until = until.AddDays(-60) }, TestProgramme.Json), HttpStatusCode.UnprocessableEntity);
        Assert.Equal("until", (string)past["field"]!);
        // A till's key may read a tier but not set one.
        Assert.Equal(HttpStatusCode.Forbidden, (await p.Pos.PutAsJsonAsync($"/api/v1/members/{member}/tier", new { level = "gold", reason = "VIP", until },
            TestProgramme.Json)).StatusCode);

        var set = await p.Admin.PutAsJsonAsync($"/api/v1/members/{member}/tier", new { level = "gold", reason = "Complaint goodwill", until }, TestProgramme.Json);
        await TestProgramme.Expect(set, HttpStatusCode.OK);
        var tier = (await set.Content.ReadFromJsonAsync<JsonObject>(TestProgramme.Json))!;
        Assert.Equal("gold", (string)tier["level"]!);
        Assert.Equal("classic", (string)tier["qualifiedLevel"]!);
        Assert.Equal("personal_advisor", (string)tier["serviceFlags"]![1]!);
        Assert.Equal(until.ToString("yyyy-MM-dd"), (string)tier["manual"]!["until"]!);
        Assert.Equal(until.ToString("yyyy-MM-dd"), (string)tier["progress"]!["holdsUntil"]!);
        var entry = tier["history"]![0]!;
        Assert.Equal("manualSet", (string)entry["reason"]!);
        Assert.Equal("Complaint goodwill", (string)entry["note"]!);
        Assert.NotNull((string?)entry["actor"]);
        var audit = await server.WithDbAsync(db => db.AuditEntries.Where(a => a.MemberId == member && a.Action == "tier.set").SingleAsync());
        Assert.Contains("Complaint goodwill", audit.Details, StringComparison.Ordinal);

        var badLevel = await ProblemAsync(await p.Admin.PutAsJsonAsync("/api/v1/tiers", new
        {
            measure = "spend", period = "calendarYear",
            levels = new object[] { new { code = "classic", name = "Classic", threshold = 0 }, new { code = "silver", name = "Silver", threshold = 0 } },
        }, TestProgramme.Json), HttpStatusCode.BadRequest);
        Assert.Equal("levels[1].threshold", (string)badLevel["field"]!);
        // A refused definition changed nothing.
        Assert.Equal(3, (await p.Pos.GetFromJsonAsync<JsonObject>("/api/v1/tiers", TestProgramme.Json))!["levels"]!.AsArray().Count);
    }

    [Fact]
    public async Task The_demo_has_classic_silver_and_gold_and_its_purchases_reach_them()
    {
        DemoKeys keys;
        Guid id;
        using (var scope = server.Services.CreateScope())
        {
            var seeder = scope.ServiceProvider.GetRequiredService<DemoSeeder>();
            (id, var created) = await seeder.EnsureProgrammeAsync(CancellationToken.None);
            keys = created!;
            await seeder.SeedActivityAsync(id, 40, null, CancellationToken.None, yieldBetweenBatches: false);
        }
        var pos = server.Client(keys.Pos);
        var tiers = (await pos.GetFromJsonAsync<JsonObject>("/api/v1/tiers", TestProgramme.Json))!;
        Assert.Equal(["Classic", "Silver", "Gold"], tiers["levels"]!.AsArray().Select(l => (string)l!["name"]!));
        var upgraded = await server.WithDbAsync(db => db.TierHistory.Where(h => h.ProgrammeId == id && h.Reason == Domain.Tiers.TierChangeReason.Upgrade)
            .Select(h => h.MemberId).Distinct().ToListAsync());
        Assert.NotEmpty(upgraded);
        var tier = (await pos.GetFromJsonAsync<JsonObject>($"/api/v1/members/{upgraded[0]}/tier", TestProgramme.Json))!;
        Assert.NotEmpty(tier["history"]!.AsArray());
    }
}

public sealed class TierTestsOnSqlite(SqliteServer server) : TierTests(server), IClassFixture<SqliteServer>;

public sealed class TierTestsOnPostgres(PostgresServer server) : TierTests(server), IClassFixture<PostgresServer>;

/// <summary>Two server processes on one PostgreSQL database: two qualifying purchases at once upgrade the member once.</summary>
public sealed class TierUpgradeOnTwoNodes(PostgresCluster cluster)
{
    [Fact]
    public async Task Two_concurrent_qualifying_purchases_on_two_nodes_upgrade_once_with_one_history_row()
    {
        var cs = await cluster.CreateDatabaseAsync();
        await using var first = await ServerProcess.StartAsync(cs); // migrates the database
        await using var second = await ServerProcess.StartAsync(cs);
        var key = await MultiNodeTests.CreateProgrammeAsync(cs);
        var clients = new[] { first, second }.Select(s =>
        {
            var c = new HttpClient { BaseAddress = s.Address };
            c.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
            return c;
        }).ToArray();
        await TestProgramme.Expect(await clients[0].PutAsJsonAsync("/api/v1/tiers", TierTests.Definition(), TestProgramme.Json), HttpStatusCode.OK);
        var enrol = await clients[0].PostAsJsonAsync("/api/v1/members", new { name = "Shared", issueCard = "physical" });
        var member = (await enrol.Content.ReadFromJsonAsync<JsonObject>())!;
        var id = Guid.Parse((string)member["id"]!);
        var card = (string)member["cards"]![0]!["number"]!;
        await TestProgramme.Expect(await clients[1].PostAsJsonAsync("/api/v1/purchases", TestProgramme.Purchase("n-0", card, ("a", "x", 1m, 90m))), HttpStatusCode.Created);

        // Each of these takes the spend past 100 on its own: whichever is written first upgrades, the other is decided again.
        for (var round = 0; round < 3; round++)
        {
            var purchases = await Task.WhenAll(Enumerable.Range(0, 2).Select(i =>
                clients[i].PostAsJsonAsync("/api/v1/purchases", TestProgramme.Purchase($"n-{round}-{i}", card, ("a", "x", 1m, 20m)))));
            foreach (var r in purchases) await TestProgramme.Expect(r, HttpStatusCode.Created);
        }

        await using var db = MultiNodeTests.Db(cs);
        var history = await db.TierHistory.Where(h => h.MemberId == id).ToListAsync();
        var upgrade = Assert.Single(history);
        Assert.Equal(Domain.Tiers.TierChangeReason.Upgrade, upgrade.Reason);
        Assert.Equal("silver", upgrade.ToLevel);
        Assert.Equal("silver", (await db.MemberTiers.SingleAsync(t => t.MemberId == id)).Level);
        Assert.Equal(7, await db.TierActivity.CountAsync(a => a.MemberId == id));
    }
}
