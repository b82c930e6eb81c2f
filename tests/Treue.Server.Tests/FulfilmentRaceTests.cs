using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Treue.Server.Tests.Infrastructure;
using Treue.Storage.Entities;

namespace Treue.Server.Tests;

/// <summary>A fulfilment and a cancellation of the same order at the same moment: exactly one of them may win.</summary>
public abstract class FulfilmentRaceTests(TreueServer server)
{
    // Enough orders that a read-modify-write fulfilment is caught losing some of them to a cancellation.
    private const int Orders = 60;
    private const long Price = 300; // the mug

    [Fact]
    public async Task Concurrent_fulfil_and_cancel_end_in_one_state_with_points_and_stock_to_match()
    {
        var p = await server.NewProgrammeAsync();
        // Placed ten at a time to keep the set-up short; the race itself is below.
        var orders = new List<(Guid Member, Guid Order)>();
        foreach (var batch in Enumerable.Range(0, Orders).Chunk(10))
        {
            orders.AddRange(await Task.WhenAll(batch.Select(async i =>
            {
                var (member, _) = await p.EnrolAsync($"Member {i}");
                await p.GiveAsync(member, Price);
                var res = await p.Admin.PostAsJsonAsync($"/api/v1/members/{member}/reward-orders", new { reward = "mug" }, TestProgramme.Json);
                await TestProgramme.Expect(res, HttpStatusCode.Created);
                return (member, (Guid)(await res.Content.ReadFromJsonAsync<JsonObject>())!["id"]!);
            })));
        }
        var stockBefore = await StockIssuedAsync(p);

        // Both requests of every order are in flight together, and all orders at once, so that they meet in the database.
        var races = orders.Select(o => Task.WhenAll(
            p.Admin.PostAsync($"/api/v1/reward-orders/{o.Order}/fulfil", null),
            p.Admin.PostAsync($"/api/v1/reward-orders/{o.Order}/cancel", null))).ToList();
        var answers = await Task.WhenAll(races);

        var stored = await server.WithDbAsync(db => db.RewardOrders.AsNoTracking().Where(o => o.ProgrammeId == p.Id).ToDictionaryAsync(o => o.Id));
        var failures = new List<string>();
        var fulfilled = 0;
        for (var i = 0; i < Orders; i++)
        {
            var (member, id) = orders[i];
            var (fulfil, cancel) = (answers[i][0], answers[i][1]);
            var order = stored[id];
            var available = await p.AvailableAsync(member);
            switch (order.Status)
            {
                case RewardOrderStatus.Fulfilled:
                    fulfilled++;
                    if (order.CancelledAt is not null || available != 0 || fulfil.StatusCode != HttpStatusCode.OK
                        || cancel.StatusCode != HttpStatusCode.Conflict || await CodeAsync(cancel) != "order_fulfilled")
                        failures.Add($"{id}: fulfilled, cancelled at {order.CancelledAt}, {available} points back, fulfil {fulfil.StatusCode}, cancel {cancel.StatusCode}");
                    break;
                case RewardOrderStatus.Cancelled:
                    if (order.FulfilledAt is not null || available != Price || cancel.StatusCode != HttpStatusCode.OK
                        || fulfil.StatusCode != HttpStatusCode.Conflict || await CodeAsync(fulfil) != "order_cancelled")
                        failures.Add($"{id}: cancelled, fulfilled at {order.FulfilledAt}, {available} points back, fulfil {fulfil.StatusCode}, cancel {cancel.StatusCode}");
                    break;
                default:
                    failures.Add($"{id}: still {order.Status}");
                    break;
            }
        }
        Assert.True(failures.Count == 0, $"{failures.Count} of {Orders} orders ended inconsistent:\n" + string.Join('\n', failures));
        // A cancelled order gives its unit of stock back; a fulfilled one keeps it.
        Assert.Equal(stockBefore - (Orders - fulfilled), await StockIssuedAsync(p));
        await p.AssertLedgerInvariantsAsync();
    }

    [Fact]
    public async Task Fulfilling_answers_as_before_for_unknown_fulfilled_and_cancelled_orders()
    {
        var p = await server.NewProgrammeAsync();
        var (member, _) = await p.EnrolAsync();
        await p.GiveAsync(member, 2 * Price);
        async Task<Guid> PlaceAsync()
        {
            var res = await p.Admin.PostAsJsonAsync($"/api/v1/members/{member}/reward-orders", new { reward = "mug" }, TestProgramme.Json);
            await TestProgramme.Expect(res, HttpStatusCode.Created);
            return (Guid)(await res.Content.ReadFromJsonAsync<JsonObject>())!["id"]!;
        }
        var kept = await PlaceAsync();
        var first = await p.Admin.PostAsync($"/api/v1/reward-orders/{kept}/fulfil", null);
        await TestProgramme.Expect(first, HttpStatusCode.OK);
        var firstAt = (string)(await first.Content.ReadFromJsonAsync<JsonObject>())!["fulfilledAt"]!;
        server.Clock.Advance(TimeSpan.FromMinutes(5));
        var again = await p.Admin.PostAsync($"/api/v1/reward-orders/{kept}/fulfil", null);
        await TestProgramme.Expect(again, HttpStatusCode.OK);
        var repeated = (await again.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal("fulfilled", (string)repeated["status"]!);
        Assert.Equal(firstAt, (string)repeated["fulfilledAt"]!);

        var dropped = await PlaceAsync();
        await TestProgramme.Expect(await p.Admin.PostAsync($"/api/v1/reward-orders/{dropped}/cancel", null), HttpStatusCode.OK);
        var late = await p.Admin.PostAsync($"/api/v1/reward-orders/{dropped}/fulfil", null);
        Assert.Equal(HttpStatusCode.Conflict, late.StatusCode);
        Assert.Equal("order_cancelled", await CodeAsync(late));

        var unknown = await p.Admin.PostAsync($"/api/v1/reward-orders/{Guid.NewGuid()}/fulfil", null);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("order_not_found", await CodeAsync(unknown));
        Assert.Equal(Price, await p.AvailableAsync(member));
        await p.AssertLedgerInvariantsAsync();
    }

    private static async Task<string?> CodeAsync(HttpResponseMessage res) => (string?)(await res.Content.ReadFromJsonAsync<JsonObject>())?["code"];

    private Task<long> StockIssuedAsync(TestProgramme p) =>
        server.WithDbAsync(db => db.Rewards.AsNoTracking().Where(r => r.ProgrammeId == p.Id && r.Code == "mug").Select(r => r.StockIssued).SingleAsync());
}

public sealed class FulfilmentRaceTestsOnSqlite(SqliteServer server) : FulfilmentRaceTests(server), IClassFixture<SqliteServer>;

public sealed class FulfilmentRaceTestsOnPostgres(PostgresServer server) : FulfilmentRaceTests(server), IClassFixture<PostgresServer>;
