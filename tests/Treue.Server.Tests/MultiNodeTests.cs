using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Treue.Server.Features.ApiKeys;
using Treue.Server.Features.Programmes;
using Treue.Server.Tests.Infrastructure;
using Treue.Storage;
using Treue.Storage.Entities;

namespace Treue.Server.Tests;

/// <summary>Real server processes (two or three) on one PostgreSQL database: correctness must not depend on there being one node.</summary>
public sealed class MultiNodeTests(PostgresCluster cluster)
{
    [Fact]
    public async Task Three_nodes_never_overdraw_and_never_record_a_receipt_twice()
    {
        var cs = await cluster.CreateDatabaseAsync();
        await using var first = await ServerProcess.StartAsync(cs); // migrates the database
        await using var second = await ServerProcess.StartAsync(cs);
        await using var third = await ServerProcess.StartAsync(cs);
        var key = await CreateProgrammeAsync(cs);
        var clients = new[] { first, second, third }.Select(s =>
        {
            var c = new HttpClient { BaseAddress = s.Address };
            c.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
            return c;
        }).ToArray();

        var enrol = await clients[0].PostAsJsonAsync("/api/v1/members", new { name = "Shared", issueCard = "physical" });
        var member = (await enrol.Content.ReadFromJsonAsync<JsonObject>())!;
        var id = (string)member["id"]!;
        var card = (string)member["cards"]![0]!["number"]!;
        await TestProgramme.Expect(await clients[1].PostAsJsonAsync($"/api/v1/members/{id}/adjustments", new { points = 1000, reason = "start" }), HttpStatusCode.Created);

        // 30 redemptions of a 300-point reward, spread over the three nodes, all at once: floor(1000 / 300) = 3 succeed.
        var redemptions = await Task.WhenAll(Enumerable.Range(0, 30).Select(i =>
            clients[i % 3].PostAsJsonAsync($"/api/v1/members/{id}/reward-orders", new { reward = "mug" })));
        Assert.Equal(3, redemptions.Count(r => r.StatusCode == HttpStatusCode.Created));
        Assert.Equal(27, redemptions.Count(r => r.StatusCode == HttpStatusCode.UnprocessableEntity));

        // The same receipt sent to all nodes at once is one purchase.
        var receipt = new { receiptId = "multi-1", partner = "shop", currency = "EUR", cardNumber = card, total = 50m,
            lines = new[] { new { sku = "a", quantity = 1m, unitPrice = 50m } } };
        var purchases = await Task.WhenAll(Enumerable.Range(0, 12).Select(i => clients[i % 3].PostAsJsonAsync("/api/v1/purchases", receipt)));
        Assert.All(purchases, r => Assert.True(r.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK, r.StatusCode.ToString()));
        Assert.Equal(1, purchases.Count(r => r.StatusCode == HttpStatusCode.Created));

        var balance = (await clients[2].GetFromJsonAsync<JsonObject>($"/api/v1/members/{id}/balance"))!;
        Assert.Equal(1000 - 900 + 50, (long)balance["available"]!);
        await using var db = Db(cs);
        var sum = await db.LedgerEntries.Where(e => e.MemberId == Guid.Parse(id) && e.Account == "member:available").SumAsync(e => e.Amount);
        Assert.Equal(150, sum);
        Assert.Equal(1, await db.Purchases.CountAsync());
    }

    [Fact]
    public async Task Refused_codes_are_counted_for_all_nodes_together()
    {
        var cs = await cluster.CreateDatabaseAsync();
        string[] limits = ["--Treue:RateLimits:FailedCodes:PermitsPerSecond=1", "--Treue:RateLimits:FailedCodes:Burst=20"];
        await using var first = await ServerProcess.StartAsync(cs, limits);
        await using var second = await ServerProcess.StartAsync(cs, limits);
        var key = await CreateProgrammeAsync(cs);
        var clients = new[] { first, second }.Select(s =>
        {
            var c = new HttpClient { BaseAddress = s.Address };
            c.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
            return c;
        }).ToArray();
        var quote = new { partner = "shop", currency = "EUR", total = 5m, codes = new[] { "GUESS1" }, lines = new[] { new { sku = "a", quantity = 1m, unitPrice = 5m } } };

        // Twenty refusals, ten on each node, use up the allowance of twenty: each node alone has seen only ten. The window
        // is twenty seconds (allowance ÷ rate), long enough for a loaded machine to make the twenty requests inside it.
        for (var i = 0; i < 20; i++)
        {
            var res = await clients[i % 2].PostAsJsonAsync("/api/v1/purchases/quote", quote);
            Assert.Equal(HttpStatusCode.UnprocessableEntity, res.StatusCode);
        }
        foreach (var client in clients)
        {
            var throttled = await client.PostAsJsonAsync("/api/v1/purchases/quote", quote);
            Assert.Equal(HttpStatusCode.TooManyRequests, throttled.StatusCode);
            Assert.True(throttled.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1));
            Assert.Equal("rate_limited", (string)(await throttled.Content.ReadFromJsonAsync<JsonObject>())!["code"]!);
        }
        // A quote without codes is not a guess and goes on.
        var plain = await clients[1].PostAsJsonAsync("/api/v1/purchases/quote", quote with { codes = Array.Empty<string>() });
        Assert.Equal(HttpStatusCode.OK, plain.StatusCode);

        // The callers are stored as hashes, never in clear.
        await using var db = Db(cs);
        var rows = await db.CodeAttempts.ToListAsync();
        Assert.NotEmpty(rows);
        Assert.All(rows, r => Assert.Equal(16, r.Partition.Length));
    }

    [Fact]
    public async Task A_stamp_card_filled_by_purchases_recorded_at_once_on_two_nodes_gives_its_points_once()
    {
        const int size = 6;
        const long reward = 100;
        var cs = await cluster.CreateDatabaseAsync();
        await using var first = await ServerProcess.StartAsync(cs); // migrates the database
        await using var second = await ServerProcess.StartAsync(cs);
        var key = await CreateProgrammeAsync(cs);
        var clients = new[] { first, second }.Select(s =>
        {
            var c = new HttpClient { BaseAddress = s.Address };
            c.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
            return c;
        }).ToArray();
        var put = await clients[0].PutAsJsonAsync("/api/v1/stamp-cards/coffee", new
        {
            id = "coffee", name = "Coffee card", stampsPerCard = size, basis = "perUnit", onReturn = "clawBack",
            reward = new { kind = "points", points = reward }, conditions = new { skus = new[] { "coffee" } },
        }, TestProgramme.Json);
        await TestProgramme.Expect(put, HttpStatusCode.OK);
        var enrol = await clients[1].PostAsJsonAsync("/api/v1/members", new { name = "Coffee drinker", issueCard = "physical" });
        var member = (await enrol.Content.ReadFromJsonAsync<JsonObject>())!;
        var id = Guid.Parse((string)member["id"]!);
        var card = (string)member["cards"]![0]!["number"]!;

        // Six coffees on six receipts fill the card; each receipt goes to both nodes at once, so twelve requests race.
        var responses = await Task.WhenAll(Enumerable.Range(0, 2 * size).Select(i => clients[i % 2].PostAsJsonAsync("/api/v1/purchases", new
        {
            receiptId = $"coffee-{i / 2}", partner = "shop", currency = "EUR", cardNumber = card, total = 3m,
            lines = new[] { new { sku = "coffee", quantity = 1m, unitPrice = 3m } },
        }, TestProgramme.Json)));
        Assert.All(responses, r => Assert.True(r.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK, r.StatusCode.ToString()));
        Assert.Equal(size, responses.Count(r => r.StatusCode == HttpStatusCode.Created));

        var cards = (await clients[0].GetFromJsonAsync<JsonArray>($"/api/v1/members/{id}/stamp-cards", TestProgramme.Json))!;
        Assert.Equal(1, (int)cards[0]!["cardsFilled"]!);
        Assert.Equal(1, (int)cards[0]!["rewardsHeld"]!);
        Assert.Equal(0, (int)cards[0]!["stamps"]!);
        await using var db = Db(cs);
        var fromCards = await db.LedgerEntries.Where(e => e.Account == "programme:stamp-cards").ToListAsync();
        Assert.Equal(-reward, Assert.Single(fromCards).Amount);
        var earned = await db.Purchases.Where(p => p.MemberId == id).SumAsync(p => p.PointsEarned);
        var held = await db.Members.Where(m => m.Id == id).Select(m => m.Available + m.Pending).SingleAsync();
        Assert.Equal(earned + reward, held);
        var entries = await db.LedgerEntries.Where(e => e.MemberId == id).SumAsync(e => e.Amount);
        Assert.Equal(held, entries);
    }

    internal static TreueDb Db(string cs)
    {
        var options = new DbContextOptionsBuilder<TreueDb>();
        options.UseTreueDatabase(cs);
        return new TreueDb(options.Options);
    }

    internal static async Task<string> CreateProgrammeAsync(string cs)
    {
        await using var db = Db(cs);
        var doc = TestProgramme.DefaultDocument with { Code = "multi" };
        var (result, _) = await new ProgrammeApplier(db, TimeProvider.System).ApplyAsync(doc, CancellationToken.None);
        return (await ApiKeyEndpoints.CreateAsync(db, result!.ProgrammeId, "nodes", ApiRole.Admin, null, DateTime.UtcNow, CancellationToken.None)).Key;
    }
}
