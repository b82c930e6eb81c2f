using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Treue.Server.Tests.Infrastructure;

namespace Treue.Server.Tests;

public abstract class AnalyticsTests(TreueServer server)
{
    private static object At(string receipt, string card, DateTimeOffset at, string category, decimal price, bool anonymous = false) => new
    {
        receiptId = receipt, partner = "shop", store = "s1", channel = "store", currency = "EUR",
        cardNumber = anonymous ? null : card, anonymous, occurredAt = at, total = price,
        lines = new[] { new { sku = category + "-1", category, quantity = 1m, unitPrice = price } },
    };

    /// <summary>Two members over three months and one anonymous buyer; one reward redeemed.</summary>
    private async Task<(TestProgramme P, Guid Ada, Guid Bob)> HistoryAsync()
    {
        var p = await server.NewProgrammeAsync();
        var (ada, adaCard) = await p.EnrolAsync("Ada");
        var (bob, bobCard) = await p.EnrolAsync("Bob");
        var march = new DateTimeOffset(2026, 3, 10, 12, 0, 0, TimeSpan.Zero);
        await p.BuyAsync(At("r1", adaCard, march, "wine", 200m));
        await p.BuyAsync(At("r2", adaCard, march.AddMonths(1), "bread", 150m));
        await p.BuyAsync(At("r3", bobCard, march.AddMonths(1), "wine", 100m));
        await p.BuyAsync(At("r4", adaCard, march.AddMonths(2), "wine", 50m));
        await p.BuyAsync(At("r5", "", march.AddMonths(2), "bread", 30m, anonymous: true));
        var order = await p.Pos.PostAsJsonAsync($"/api/v1/members/{ada}/reward-orders", new { reward = "mug" }, TestProgramme.Json);
        await TestProgramme.Expect(order, HttpStatusCode.Created);
        return (p, ada, bob);
    }

    [Fact]
    public async Task Economics_reports_liability_redemption_and_reward_cost_from_the_ledger()
    {
        var (p, _, _) = await HistoryAsync();
        var r = (await p.Admin.GetFromJsonAsync<JsonObject>("/api/v1/analytics/economics", TestProgramme.Json))!;
        Assert.Equal(500, (long)r["issued"]!);
        Assert.Equal(300, (long)r["redeemed"]!);
        Assert.Equal(200, (long)r["outstanding"]!);
        Assert.Equal(2.00m, (decimal)r["liability"]!);
        Assert.Equal(0.6, (double)r["redemptionRate"]!, 9);
        var june = r["months"]!.AsArray().Single(m => (string)m!["month"]! == "2026-06-01")!; // the redemption happened on the server clock's day
        Assert.Equal(3.00m, (decimal)june["rewardCost"]!);
        Assert.Equal(HttpStatusCode.Forbidden, (await p.Pos.GetAsync("/api/v1/analytics/economics")).StatusCode);
    }

    [Fact]
    public async Task Loyalty_compares_members_with_anonymous_buyers()
    {
        var (p, _, _) = await HistoryAsync();
        var r = (await p.Admin.GetFromJsonAsync<JsonObject>("/api/v1/analytics/loyalty", TestProgramme.Json))!;
        Assert.Equal(4, (long)r["members"]!["receipts"]!);
        Assert.Equal(125.00m, (decimal)r["members"]!["averageBasket"]!);
        Assert.Equal(1, (long)r["anonymous"]!["receipts"]!);
        var april = r["crossBuying"]!.AsArray().Single(m => (string)m!["month"]! == "2026-04-01")!;
        Assert.Equal(2, (long)april["activeMembers"]!);
    }

    [Fact]
    public async Task What_if_replays_real_purchases_under_proposed_rules_and_writes_nothing()
    {
        var (p, _, _) = await HistoryAsync();
        var before = await p.CountsAsync();
        var proposal = new
        {
            from = "2026-01-01", to = "2026-06-30",
            rules = new[]
            {
                new { code = "wine-x3", name = "Triple points on wine", priority = 10, stacking = "stack",
                      conditions = new { categories = new[] { "wine" } }, effect = new { kind = "multiplier", value = 3m } },
            },
        };
        var res = await p.Admin.PostAsJsonAsync("/api/v1/analytics/what-if", proposal, TestProgramme.Json);
        await TestProgramme.Expect(res, HttpStatusCode.OK);
        var r = (await res.Content.ReadFromJsonAsync<JsonObject>(TestProgramme.Json))!["result"]!;
        Assert.Equal(4, (long)r["purchases"]!);
        Assert.Equal(500, (long)r["actualPoints"]!);
        Assert.Equal(500 + 2 * 350, (long)r["simulatedPoints"]!); // wine: 200 + 100 + 50 earn twice more
        Assert.Equal(2, (long)r["membersGaining"]!);
        Assert.Equal(before, await p.CountsAsync());

        var bad = await p.Admin.PostAsJsonAsync("/api/v1/analytics/what-if", new
        {
            from = "2026-06-30", to = "2026-01-01",
            rules = new[] { new { code = "BAD CODE", name = "x", priority = 0, stacking = "stack", conditions = new { }, effect = new { kind = "multiplier", value = 500m } } },
        }, TestProgramme.Json);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        var problem = (await bad.Content.ReadFromJsonAsync<JsonObject>())!;
        var errors = problem["errors"]!.AsObject();
        Assert.Contains("to", errors.Select(e => e.Key));
        Assert.Contains("rules[0].code", errors.Select(e => e.Key));
        Assert.Contains("rules[0].effect.value", errors.Select(e => e.Key));
    }

    [Fact]
    public async Task Null_rules_and_null_condition_elements_are_refused_by_name_not_crashed_on()
    {
        var (p, _, _) = await HistoryAsync();
        async Task<string> FieldsAsync(HttpResponseMessage res)
        {
            Assert.Equal(HttpStatusCode.BadRequest, res.StatusCode);
            var body = (await res.Content.ReadFromJsonAsync<JsonObject>())!;
            return string.Join(",", body["errors"]!.AsObject().Select(e => e.Key));
        }
        var nullRule = await p.Admin.PostAsync("/api/v1/analytics/what-if",
            new StringContent("""{ "rules": [ null ] }""", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal("rules[0]", await FieldsAsync(nullRule));
        var nullSku = await p.Admin.PostAsync("/api/v1/analytics/what-if", new StringContent("""
            { "rules": [ { "code": "x", "name": "x", "priority": 0, "stacking": "stack",
                           "conditions": { "skus": [ null ], "partners": [ null ] }, "effect": { "kind": "multiplier", "value": 2 } } ] }
            """, System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal("rules[0].conditions.partners,rules[0].conditions.skus", string.Join(",", (await FieldsAsync(nullSku)).Split(',').Order()));
        // The programme document is checked by the same validation.
        var document = (await p.Admin.GetFromJsonAsync<JsonObject>("/api/v1/programme", TestProgramme.Json))!;
        document["rules"] = JsonNode.Parse("""
            [ { "code": "x", "name": "x", "priority": 0, "stacking": "stack", "conditions": { "categories": [ null ] },
                "effect": { "kind": "multiplier", "value": 2 } } ]
            """);
        var put = await p.Admin.PutAsJsonAsync("/api/v1/programme", document, TestProgramme.Json);
        Assert.Equal("rules[0].conditions.categories", await FieldsAsync(put));
    }
}

public sealed class AnalyticsTestsOnSqlite(SqliteServer server) : AnalyticsTests(server), IClassFixture<SqliteServer>;

public sealed class AnalyticsTestsOnPostgres(PostgresServer server) : AnalyticsTests(server), IClassFixture<PostgresServer>;
