using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Treue.Domain.Earning;
using Treue.Server.Features.ApiKeys;
using Treue.Server.Features.Programmes;
using Treue.Server.Tests.Infrastructure;
using Treue.Storage;
using Treue.Storage.Entities;

namespace Treue.Server.Tests;

/// <summary>
/// Concurrent first purchases of one member: whichever writer or node records them, exactly one gets the welcome bonus.
/// The decision "first or not" is made on the purchase count read before the write; the write only counts the purchase
/// if the count is still the one decided on.
/// </summary>
public abstract class FirstPurchaseRaceTests(TreueServer server)
{
    internal const int Members = 20;
    internal const int Rounds = 3;
    internal const long Welcome = 500;

    internal static ProgrammeDocument Document => TestProgramme.DefaultDocument with
    {
        Rules = [new("welcome", "Welcome", 9, Stacking.Stack, new RuleConditions { FirstPurchaseOnly = true }, new RuleEffect(EffectKind.FixedBonus, Welcome))],
    };

    /// <summary>2, 3 or 4 purchases for member <paramref name="m"/>, each with its own receipt.</summary>
    internal static int PurchasesOf(int m) => 2 + m % 3;

    internal static object Receipt(int m, int n, string card) => new
    {
        receiptId = $"first-{m}-{n}", partner = "shop", currency = "EUR", cardNumber = card, total = 10m,
        lines = new[] { new { sku = "a", quantity = 1m, unitPrice = 10m } },
    };

    [Fact]
    public async Task Concurrent_first_purchases_of_one_member_give_exactly_one_welcome_bonus()
    {
        for (var round = 0; round < Rounds; round++) await RoundAsync();
    }

    private async Task RoundAsync()
    {
        var p = await server.NewProgrammeAsync(Document);
        var cards = new List<(Guid Member, string Card)>();
        for (var m = 0; m < Members; m++) cards.Add(await p.EnrolAsync($"Member {m}"));

        // All purchases of all members at once, so that the group-commit writers take purchases of one member side by side.
        var sent = Enumerable.Range(0, Members).SelectMany(m => Enumerable.Range(0, PurchasesOf(m)).Select(n => (m, n))).ToList();
        var responses = await Task.WhenAll(sent.Select(x => p.Pos.PostAsJsonAsync("/api/v1/purchases", Receipt(x.m, x.n, cards[x.m].Card), TestProgramme.Json)));
        foreach (var r in responses) await TestProgramme.Expect(r, HttpStatusCode.Created);

        await server.WithDbAsync(async db =>
        {
            await AssertOneWelcomeEachAsync(db, p.Id, cards.Select(c => c.Member).ToList());
            return true;
        });
        await p.AssertLedgerInvariantsAsync();
    }

    /// <summary>Each member has all their purchases counted, exactly one of them with the welcome bonus, and the points to match.</summary>
    internal static async Task AssertOneWelcomeEachAsync(TreueDb db, Guid programmeId, IReadOnlyList<Guid> members)
    {
        var purchases = await db.Purchases.AsNoTracking().Where(x => x.ProgrammeId == programmeId)
            .Select(x => new { x.MemberId, x.BonusPoints }).ToListAsync();
        var counts = await db.Members.AsNoTracking().Where(x => x.ProgrammeId == programmeId)
            .ToDictionaryAsync(x => x.Id, x => new { x.PurchaseCount, x.Available });
        var twice = new List<string>();
        for (var m = 0; m < members.Count; m++)
        {
            var mine = purchases.Where(x => x.MemberId == members[m]).ToList();
            Assert.Equal(PurchasesOf(m), mine.Count);
            Assert.Equal(PurchasesOf(m), counts[members[m]].PurchaseCount);
            var welcomes = mine.Count(x => x.BonusPoints == Welcome);
            if (welcomes != 1) twice.Add($"member {m}: {welcomes} welcome bonuses in {mine.Count} purchases");
            Assert.Equal(10 * PurchasesOf(m) + welcomes * Welcome, counts[members[m]].Available);
        }
        Assert.True(twice.Count == 0, string.Join("; ", twice));
    }
}

public sealed class FirstPurchaseRaceTestsOnSqlite(SqliteServer server) : FirstPurchaseRaceTests(server), IClassFixture<SqliteServer>;

/// <summary>One server with four group-commit writers, each with its own shared transaction.</summary>
public sealed class FirstPurchaseRaceTestsOnPostgres(FirstPurchaseRaceTestsOnPostgres.Server server)
    : FirstPurchaseRaceTests(server), IClassFixture<FirstPurchaseRaceTestsOnPostgres.Server>
{
    public sealed class Server(PostgresCluster cluster) : PostgresServer(cluster)
    {
        protected override void ConfigureWebHost(Microsoft.AspNetCore.Hosting.IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.UseSetting("Treue:GroupCommit:Writers", "4");
            // Small groups, so that purchases of one member queued side by side go to different writers.
            builder.UseSetting("Treue:GroupCommit:MaxBatch", "2");
        }
    }
}

/// <summary>Two real server processes on one PostgreSQL database, each member's purchases spread over both.</summary>
public sealed class FirstPurchaseRaceOnTwoNodes(PostgresCluster cluster)
{
    [Fact]
    public async Task Concurrent_first_purchases_through_two_nodes_give_exactly_one_welcome_bonus()
    {
        var cs = await cluster.CreateDatabaseAsync();
        await using var first = await ServerProcess.StartAsync(cs); // migrates the database
        await using var second = await ServerProcess.StartAsync(cs);
        for (var round = 0; round < FirstPurchaseRaceTests.Rounds; round++) await RoundAsync(cs, first, second, round);
    }

    private static async Task RoundAsync(string cs, ServerProcess first, ServerProcess second, int round)
    {
        var (programmeId, key) = await CreateProgrammeAsync(cs, round);
        var clients = new[] { first, second }.Select(s =>
        {
            var c = new HttpClient { BaseAddress = s.Address };
            c.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
            return c;
        }).ToArray();

        var cards = new List<(Guid Member, string Card)>();
        for (var m = 0; m < FirstPurchaseRaceTests.Members; m++)
        {
            var enrol = await clients[m % 2].PostAsJsonAsync("/api/v1/members", new { name = $"Member {m}", issueCard = "physical" });
            await TestProgramme.Expect(enrol, HttpStatusCode.Created);
            var body = (await enrol.Content.ReadFromJsonAsync<JsonObject>())!;
            cards.Add((Guid.Parse((string)body["id"]!), (string)body["cards"]![0]!["number"]!));
        }

        var sent = Enumerable.Range(0, FirstPurchaseRaceTests.Members)
            .SelectMany(m => Enumerable.Range(0, FirstPurchaseRaceTests.PurchasesOf(m)).Select(n => (m, n))).ToList();
        var responses = await Task.WhenAll(sent.Select(x =>
            clients[x.n % 2].PostAsJsonAsync("/api/v1/purchases", FirstPurchaseRaceTests.Receipt(x.m, x.n, cards[x.m].Card), TestProgramme.Json)));
        foreach (var r in responses) await TestProgramme.Expect(r, HttpStatusCode.Created);

        await using var db = Db(cs);
        await FirstPurchaseRaceTests.AssertOneWelcomeEachAsync(db, programmeId, cards.Select(c => c.Member).ToList());
        await LedgerInvariants.AssertAsync(db, programmeId);
    }

    private static TreueDb Db(string cs)
    {
        var options = new DbContextOptionsBuilder<TreueDb>();
        options.UseTreueDatabase(cs);
        return new TreueDb(options.Options);
    }

    private static async Task<(Guid Programme, string Key)> CreateProgrammeAsync(string cs, int round)
    {
        await using var db = Db(cs);
        var doc = FirstPurchaseRaceTests.Document with { Code = $"race-{round}" };
        var (result, _) = await new ProgrammeApplier(db, TimeProvider.System).ApplyAsync(doc, CancellationToken.None);
        var key = await ApiKeyEndpoints.CreateAsync(db, result!.ProgrammeId, "nodes", ApiRole.Admin, null, DateTime.UtcNow, CancellationToken.None);
        return (result.ProgrammeId, key.Key);
    }
}
