using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Treue.Server.Features.Demo;
using Treue.Server.Tests.Infrastructure;

namespace Treue.Server.Tests;

/// <summary>
/// Promotions in the analytics and the demo: the economics report counts campaign discounts as programme cost, the what-if
/// simulator replays a draft campaign over recorded baskets without writing anything, and the demo programme runs a coupon,
/// a bundle price and a coffee stamp card that its purchases use.
/// </summary>
public abstract class PromotionAnalyticsTests(TreueServer server)
{
    // A campaign's positional fields are required, an open end (validToUtc) too: it is sent as null.
    private static readonly System.Text.Json.JsonSerializerOptions WithNulls =
        new(TestProgramme.Json) { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.Never };

    private static readonly DateTime Started = new(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    private static object TenPercentOff(string id) => new
    {
        id, name = "Ten percent off", validFromUtc = Started, validToUtc = (DateTime?)null, offer = new { kind = "percent_off_basket", percent = 10m }, codes = "generic",
    };

    private static object Purchase(string receipt, string card, DateTime at, string[] codes, params (string Sku, decimal Qty, decimal Price)[] lines) => new
    {
        receiptId = receipt, partner = "shop", store = "s1", channel = "store", currency = "EUR", cardNumber = card, codes,
        total = lines.Sum(l => l.Qty * l.Price), occurredAt = new DateTimeOffset(at, TimeSpan.Zero),
        lines = lines.Select(l => new { sku = l.Sku, category = "food", quantity = l.Qty, unitPrice = l.Price }).ToArray(),
    };

    [Fact]
    public async Task Economics_counts_a_redemptions_discount_as_programme_cost_in_the_month_of_the_purchase()
    {
        var p = await server.NewProgrammeAsync();
        var created = await p.Admin.PostAsJsonAsync("/api/v1/campaigns", new { campaign = TenPercentOff("save10"), code = "SAVE10" }, WithNulls);
        await TestProgramme.Expect(created, HttpStatusCode.Created);
        var (_, card) = await p.EnrolAsync();
        var may = new DateTime(2026, 5, 10, 12, 0, 0, DateTimeKind.Utc);
        var bought = await p.BuyAsync(Purchase("eco-1", card, may, ["SAVE10"], ("tea", 1, 10m), ("cake", 2, 10m)));
        Assert.Equal(3m, (decimal)bought["discount"]!);
        await p.BuyAsync(Purchase("eco-2", card, may.AddDays(1), [], ("tea", 1, 10m)));
        await p.BuyAsync(Purchase("eco-3", card, new DateTime(2026, 4, 2, 9, 0, 0, DateTimeKind.Utc), [], ("tea", 1, 10m)));

        var r = (await p.Admin.GetFromJsonAsync<JsonObject>("/api/v1/analytics/economics", TestProgramme.Json))!;
        var months = r["months"]!.AsArray();
        var mayRow = months.Single(m => (string)m!["month"]! == "2026-05-01")!;
        Assert.Equal(3.00m, (decimal)mayRow["discountCost"]!);
        Assert.Equal(0m, (decimal)months.Single(m => (string)m!["month"]! == "2026-04-01")!["discountCost"]!);
        Assert.Equal(3.00m, (decimal)r["discountCost"]!);
        // The discount is cost next to the points' cost: the month's share of revenue counts it (no points were redeemed).
        Assert.Equal((double)(3.00m / (27m + 10m)), (double)mayRow["costShareOfRevenue"]!, 9);

        // One cake comes back: the discount that belonged to it (1.00 of the 3.00) is no longer cost.
        var res = await p.Pos.PostAsJsonAsync($"/api/v1/purchases/{(string)bought["id"]!}/returns",
            new { returnId = "eco-ret", lines = new[] { new { lineNo = 2, quantity = 1m } } }, TestProgramme.Json);
        await TestProgramme.Expect(res, HttpStatusCode.Created);
        var after = (await p.Admin.GetFromJsonAsync<JsonObject>("/api/v1/analytics/economics", TestProgramme.Json))!;
        Assert.Equal(2.00m, (decimal)after["months"]!.AsArray().Single(m => (string)m!["month"]! == "2026-05-01")!["discountCost"]!);
    }

    [Fact]
    public async Task What_if_with_a_draft_ten_percent_campaign_gives_the_discount_of_the_recorded_baskets_and_writes_nothing()
    {
        var p = await server.NewProgrammeAsync();
        var (_, ada) = await p.EnrolAsync("Ada");
        var (_, bob) = await p.EnrolAsync("Bob");
        // Totals whose tenth must be rounded, some up and some down, and a basket of several lines.
        var baskets = new (string Card, DateTime At, (string Sku, decimal Qty, decimal Price)[] Lines)[]
        {
            (ada, new DateTime(2026, 3, 3, 10, 0, 0, DateTimeKind.Utc), [("tea", 1, 12.34m)]),
            (ada, new DateTime(2026, 3, 20, 10, 0, 0, DateTimeKind.Utc), [("tea", 3, 2.59m), ("cake", 1, 7.77m)]),
            (bob, new DateTime(2026, 4, 5, 10, 0, 0, DateTimeKind.Utc), [("cake", 2, 4.45m)]),
            (bob, new DateTime(2026, 4, 28, 10, 0, 0, DateTimeKind.Utc), [("tea", 1, 0.05m)]),
            (ada, new DateTime(2026, 5, 2, 10, 0, 0, DateTimeKind.Utc), [("tea", 10, 9.99m), ("cake", 3, 1.15m)]),
        };
        var n = 0;
        foreach (var b in baskets) await p.BuyAsync(Purchase($"wi-{++n}", b.Card, b.At, [], b.Lines));
        // Outside the period: not replayed.
        await p.BuyAsync(Purchase("wi-late", ada, new DateTime(2026, 5, 20, 10, 0, 0, DateTimeKind.Utc), [], ("tea", 1, 50m)));

        var expected = baskets.Sum(b => decimal.Round(b.Lines.Sum(l => l.Qty * l.Price) * 0.10m, 2, MidpointRounding.AwayFromZero));
        var res = await p.Admin.PostAsJsonAsync("/api/v1/analytics/what-if", new
        {
            from = new DateOnly(2026, 3, 1), to = new DateOnly(2026, 5, 10), campaign = TenPercentOff("draft-10"),
        }, WithNulls);
        await TestProgramme.Expect(res, HttpStatusCode.OK);
        var report = (await res.Content.ReadFromJsonAsync<JsonObject>(TestProgramme.Json))!;
        var campaign = report["campaign"]!;
        Assert.Equal(expected, (decimal)campaign["discount"]!);
        Assert.Equal(baskets.Length, (long)campaign["redemptions"]!);
        Assert.Equal(2, (long)campaign["members"]!);
        var march = campaign["months"]!.AsArray().Single(m => (string)m!["month"]! == "2026-03-01")!;
        Assert.Equal(1.23m + 1.55m, (decimal)march["discount"]!);

        // Nothing was written: no campaign, no redemption, the economics show no discount.
        Assert.Empty((await p.Admin.GetFromJsonAsync<JsonArray>("/api/v1/campaigns", TestProgramme.Json))!);
        Assert.Equal(0, await server.WithDbAsync(db => db.CouponRedemptions.CountAsync(r => r.ProgrammeId == p.Id)));
        Assert.Equal(0m, (decimal)(await p.Admin.GetFromJsonAsync<JsonObject>("/api/v1/analytics/economics", TestProgramme.Json))!["discountCost"]!);
    }

    [Fact]
    public async Task What_if_with_an_existing_campaign_by_id_replays_it_and_an_unknown_id_names_the_field()
    {
        var p = await server.NewProgrammeAsync();
        var created = await p.Admin.PostAsJsonAsync("/api/v1/campaigns", new { campaign = TenPercentOff("spring"), code = "SPRING" }, WithNulls);
        await TestProgramme.Expect(created, HttpStatusCode.Created);
        var (_, card) = await p.EnrolAsync();
        await p.BuyAsync(Purchase("id-1", card, new DateTime(2026, 4, 1, 10, 0, 0, DateTimeKind.Utc), [], ("tea", 2, 5.55m)));

        var res = await p.Admin.PostAsJsonAsync("/api/v1/analytics/what-if", new { from = "2026-03-01", to = "2026-05-01", campaignId = "spring" }, TestProgramme.Json);
        await TestProgramme.Expect(res, HttpStatusCode.OK);
        var campaign = (await res.Content.ReadFromJsonAsync<JsonObject>(TestProgramme.Json))!["campaign"]!;
        Assert.Equal(1.11m, (decimal)campaign["discount"]!);
        Assert.Equal("spring", (string)campaign["campaignId"]!);

        var bad = await p.Admin.PostAsJsonAsync("/api/v1/analytics/what-if", new { campaignId = "no-such" }, TestProgramme.Json);
        await TestProgramme.Expect(bad, HttpStatusCode.BadRequest);
        Assert.Contains("campaignId", await bad.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_demo_runs_a_coupon_a_bundle_price_and_a_coffee_stamp_card_that_its_purchases_use()
    {
        DemoKeys keys;
        using (var scope = server.Services.CreateScope())
        {
            var seeder = scope.ServiceProvider.GetRequiredService<DemoSeeder>();
            var (id, created) = await seeder.EnsureProgrammeAsync(CancellationToken.None);
            keys = created!;
            await seeder.SeedActivityAsync(id, 80, null, CancellationToken.None, yieldBetweenBatches: false);
        }
        var admin = server.Client(keys.Admin);
        var pos = server.Client(keys.Pos);

        var campaigns = (await admin.GetFromJsonAsync<JsonArray>("/api/v1/campaigns", TestProgramme.Json))!;
        JsonNode Campaign(string id) => campaigns.Single(c => (string)c!["campaign"]!["id"]! == id)!;
        var welcome = Campaign("welcome10");
        Assert.Equal("generic", (string)welcome["campaign"]!["codes"]!);
        Assert.True((long)welcome["usage"]!["uses"]! > 0, "members should have used the welcome code");
        Assert.True((decimal)welcome["usage"]!["moneySpent"]! > 0);
        var bundle = Campaign("bread-and-cheese");
        Assert.Equal("bundle_price", (string)bundle["campaign"]!["offer"]!["kind"]!);
        Assert.True((long)bundle["usage"]!["uses"]! > 0, "some baskets should have formed the bundle");

        var cards = (await admin.GetFromJsonAsync<JsonArray>("/api/v1/stamp-cards", TestProgramme.Json))!;
        var coffee = cards.Single(c => (string)c!["id"]! == "coffee")!;
        Assert.Equal(10, (int)coffee["stampsPerCard"]!);

        // Members hold partly filled coffee cards, read through the till's API.
        var holders = await server.WithDbAsync(db => db.MemberStampCards.AsNoTracking().Where(c => c.ProgrammeId == db.Programmes.Single(x => x.Code == DemoSeeder.Code).Id)
            .Select(c => c.MemberId).Take(20).ToListAsync());
        Assert.NotEmpty(holders);
        var partly = 0;
        foreach (var member in holders)
        {
            var mine = (await pos.GetFromJsonAsync<JsonArray>($"/api/v1/members/{member}/stamp-cards", TestProgramme.Json))!;
            var stamps = (int)mine.Single(c => (string)c!["cardId"]! == "coffee")!["stamps"]!;
            if (stamps is > 0 and < 10) partly++;
        }
        Assert.True(partly > 0, "some members should have a partly filled coffee card");

        // The discounts are spread over the demo's history, and the economics count them.
        var economics = (await admin.GetFromJsonAsync<JsonObject>("/api/v1/analytics/economics", TestProgramme.Json))!;
        Assert.True((decimal)economics["discountCost"]! > 0);
        Assert.True(economics["months"]!.AsArray().Count(m => (decimal)m!["discountCost"]! > 0) >= 6, "discounts should be given in many months");
    }
}

public sealed class PromotionAnalyticsTestsOnSqlite(SqliteServer server) : PromotionAnalyticsTests(server), IClassFixture<SqliteServer>;

public sealed class PromotionAnalyticsTestsOnPostgres(PostgresServer server) : PromotionAnalyticsTests(server), IClassFixture<PostgresServer>;
