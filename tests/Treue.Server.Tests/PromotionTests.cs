using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Treue.Server.Tests.Infrastructure;
using Treue.Storage;

namespace Treue.Server.Tests;

/// <summary>
/// Campaigns, coupon codes and stamp cards through the API: prices at the till, refusals naming the code's field, limits and
/// budgets that hold under concurrent redemptions, returns that claw back a broken bundle, and stamp cards rewarded once.
/// </summary>
public abstract class PromotionTests(TreueServer server)
{
    private static readonly DateTime Started = new(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    private sealed record Item(string Sku, decimal Quantity, decimal UnitPrice);

    private static Item Line(string sku, decimal quantity, decimal price) => new(sku, quantity, price);

    private static object Anonymous(string receipt, string[] codes, params Item[] lines) => new
    {
        receiptId = receipt, partner = "shop", store = "s1", channel = "store", currency = "EUR", anonymous = true, codes,
        total = lines.Sum(l => l.Quantity * l.UnitPrice), lines,
    };

    private static object ForCard(string receipt, string card, string[] codes, params Item[] lines) => new
    {
        receiptId = receipt, partner = "shop", store = "s1", channel = "store", currency = "EUR", cardNumber = card, codes,
        total = lines.Sum(l => l.Quantity * l.UnitPrice), lines,
    };

    // A campaign's positional fields are required, an open end (validToUtc) too: it is sent as null.
    private static readonly System.Text.Json.JsonSerializerOptions WithNulls =
        new(TestProgramme.Json) { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.Never };

    private static async Task CreateCampaignAsync(TestProgramme p, object campaign, string? code = null)
    {
        var res = await p.Admin.PostAsJsonAsync("/api/v1/campaigns", new { campaign, code }, WithNulls);
        await TestProgramme.Expect(res, HttpStatusCode.Created);
    }

    private static async Task<JsonObject> ProblemAsync(HttpResponseMessage res, HttpStatusCode status)
    {
        await TestProgramme.Expect(res, status);
        return (await res.Content.ReadFromJsonAsync<JsonObject>(TestProgramme.Json))!;
    }

    [Fact]
    public async Task Buy_two_get_the_cheapest_third_free_through_a_purchase()
    {
        var p = await server.NewProgrammeAsync();
        await CreateCampaignAsync(p, new
        {
            id = "three-for-two", name = "Three for two", validFromUtc = Started, validToUtc = (DateTime?)null,
            offer = new { kind = "buy_x_get_y", buy = new { skus = new[] { "soap" } }, buyQuantity = 2, getQuantity = 1 },
            codes = "automatic",
        });
        var (_, card) = await p.EnrolAsync();
        var body = await p.BuyAsync(ForCard("bxgy-1", card, [], Line("soap", 2, 2.50m), Line("soap-s", 1, 1m), Line("soap", 1, 2m)));
        Assert.Equal(8m - 2m, (decimal)body["total"]!);
        Assert.Equal(2m, (decimal)body["discount"]!);
        var step = body["promotions"]![0]!;
        Assert.Equal("three-for-two", (string)step["campaignId"]!);
        Assert.Equal(2m, (decimal)body["lines"]![2]!["discount"]!);
        Assert.Equal(6, (long)body["pointsEarned"]!); // points on the prices after discounts: 5 + 1 + 0
        await p.AssertLedgerInvariantsAsync();
    }

    [Fact]
    public async Task A_bundle_price_applies_as_often_as_the_basket_allows()
    {
        var p = await server.NewProgrammeAsync();
        await CreateCampaignAsync(p, Bundle);
        var (_, card) = await p.EnrolAsync();
        var body = await p.BuyAsync(ForCard("bundle-1", card, [], Line("burger", 2, 5m), Line("fries", 1, 3m), Line("drink", 1, 2m)));
        // One bundle (burger + fries for 6.00 instead of 8.00); the second burger stays at its price.
        Assert.Equal(15m - 2m, (decimal)body["total"]!);
        Assert.Equal(1, (int)body["promotions"]![0]!["applications"]!);
        var twice = await p.BuyAsync(ForCard("bundle-2", card, [], Line("burger", 2, 5m), Line("fries", 2, 3m)));
        Assert.Equal(12m, (decimal)twice["total"]!);
        Assert.Equal(2, (int)twice["promotions"]![0]!["applications"]!);
    }

    private static object Bundle => new
    {
        id = "menu", name = "Burger menu", validFromUtc = Started, validToUtc = (DateTime?)null,
        offer = new { kind = "bundle_price", items = new object[] { new { skus = new[] { "burger" }, quantity = 1 }, new { skus = new[] { "fries" }, quantity = 1 } }, price = 6m },
        codes = "automatic",
    };

    [Fact]
    public async Task A_quote_refuses_an_expired_code_naming_its_field()
    {
        var p = await server.NewProgrammeAsync();
        await CreateCampaignAsync(p, new
        {
            id = "spring", name = "Spring", validFromUtc = Started, validToUtc = (DateTime?)new DateTime(2026, 3, 1, 0, 0, 0, DateTimeKind.Utc),
            offer = new { kind = "percent_off_basket", percent = 10m }, codes = "generic",
        }, "SPRING10");
        var res = await p.Pos.PostAsJsonAsync("/api/v1/purchases/quote", new
        {
            partner = "shop", currency = "EUR", total = 10m, codes = new[] { "spring10" }, lines = new[] { Line("tea", 1, 10m) },
        }, TestProgramme.Json);
        var problem = await ProblemAsync(res, HttpStatusCode.UnprocessableEntity);
        Assert.Equal("coupon_expired", (string)problem["code"]!);
        Assert.Equal("codes[0]", (string)problem["field"]!);
        Assert.Contains("expired", (string)problem["detail"]!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_quote_with_a_valid_code_gives_the_discounted_lines_and_the_step()
    {
        var p = await server.NewProgrammeAsync();
        await CreateCampaignAsync(p, new
        {
            id = "summer", name = "Summer", validFromUtc = Started, validToUtc = (DateTime?)null, offer = new { kind = "percent_off_basket", percent = 10m }, codes = "generic",
        }, "SUMMER10");
        var res = await p.Pos.PostAsJsonAsync("/api/v1/purchases/quote", new
        {
            partner = "shop", currency = "EUR", total = 30m, codes = new[] { "SUMMER10" }, lines = new[] { Line("tea", 1, 10m), Line("cake", 2, 10m) },
        }, TestProgramme.Json);
        await TestProgramme.Expect(res, HttpStatusCode.OK);
        var quote = (await res.Content.ReadFromJsonAsync<JsonObject>(TestProgramme.Json))!;
        Assert.Equal(27m, (decimal)quote["total"]!);
        Assert.Equal(3m, (decimal)quote["discount"]!);
        Assert.Equal("SUMMER10", (string)quote["promotions"]![0]!["code"]!);
        Assert.Equal(2m, (decimal)quote["pricedLines"]![1]!["discount"]!);
    }

    [Fact]
    public async Task A_till_total_that_differs_is_a_problem_naming_both_totals()
    {
        var p = await server.NewProgrammeAsync();
        await CreateCampaignAsync(p, Bundle);
        var (_, card) = await p.EnrolAsync();
        var purchase = new
        {
            receiptId = "till-1", partner = "shop", currency = "EUR", cardNumber = card, total = 8m, tillTotal = 8m,
            lines = new[] { Line("burger", 1, 5m), Line("fries", 1, 3m) },
        };
        var problem = await ProblemAsync(await p.Pos.PostAsJsonAsync("/api/v1/purchases", purchase, TestProgramme.Json), HttpStatusCode.Conflict);
        Assert.Equal("total_mismatch", (string)problem["code"]!);
        Assert.Equal("tillTotal", (string)problem["field"]!);
        Assert.Equal(8m, (decimal)problem["tillTotal"]!);
        Assert.Equal(6m, (decimal)problem["total"]!);
        Assert.Equal(0, (await p.CountsAsync()).Purchases);
        await p.BuyAsync(purchase with { tillTotal = 6m });
    }

    [Fact]
    public async Task A_code_of_another_programme_is_refused_as_an_unknown_code()
    {
        var other = await server.NewProgrammeAsync();
        await CreateCampaignAsync(other, new
        {
            id = "secret", name = "Secret", validFromUtc = Started, validToUtc = (DateTime?)null, offer = new { kind = "amount_off_basket", amount = 5m }, codes = "generic",
        }, "SECRET5");
        var p = await server.NewProgrammeAsync();
        await CreateCampaignAsync(p, Bundle);
        var plain = await server.NewProgrammeAsync();
        foreach (var programme in new[] { p, plain })
        {
            var existing = await ProblemAsync(await programme.Pos.PostAsJsonAsync("/api/v1/purchases",
                Anonymous("other-1", ["SECRET5"], Line("tea", 1, 10m)), TestProgramme.Json), HttpStatusCode.UnprocessableEntity);
            var unknown = await ProblemAsync(await programme.Pos.PostAsJsonAsync("/api/v1/purchases",
                Anonymous("other-2", ["NOSUCH5"], Line("tea", 1, 10m)), TestProgramme.Json), HttpStatusCode.UnprocessableEntity);
            Assert.Equal("coupon_unknown", (string)existing["code"]!);
            Assert.Equal("codes[0]", (string)existing["field"]!);
            Assert.Equal(((string)unknown["detail"]!).Replace("NOSUCH5", "SECRET5", StringComparison.Ordinal), (string)existing["detail"]!);
            Assert.Equal(unknown["code"]!.ToJsonString(), existing["code"]!.ToJsonString());
        }
    }

    [Fact]
    public async Task Concurrent_redemptions_at_the_edge_never_exceed_the_budget()
    {
        var p = await server.NewProgrammeAsync();
        const int allowed = 8;
        await CreateCampaignAsync(p, new
        {
            id = "edge", name = "One euro off", validFromUtc = Started, validToUtc = (DateTime?)null, offer = new { kind = "amount_off_basket", amount = 1m }, codes = "generic",
            limits = new { budget = new { unit = "money", amount = (decimal)allowed } },
        }, "EDGE1");
        var responses = await Task.WhenAll(Enumerable.Range(0, 3 * allowed).Select(i =>
            p.Pos.PostAsJsonAsync("/api/v1/purchases", Anonymous($"edge-{i}", ["EDGE1"], Line("tea", 1, 10m)), TestProgramme.Json)));
        var created = responses.Count(r => r.StatusCode == HttpStatusCode.Created);
        foreach (var r in responses.Where(r => r.StatusCode != HttpStatusCode.Created))
            Assert.Equal("coupon_budget_exhausted", (string)(await ProblemAsync(r, HttpStatusCode.UnprocessableEntity))["code"]!);
        Assert.Equal(allowed, created);
        Assert.Equal(allowed, (await p.CountsAsync()).Purchases);
        var usage = (await p.Pos.GetFromJsonAsync<JsonObject>("/api/v1/campaigns/edge/usage", TestProgramme.Json))!;
        Assert.Equal(allowed, (long)usage["uses"]!);
        Assert.Equal(allowed, (decimal)usage["moneySpent"]!);
        Assert.Equal(0m, (decimal)usage["budgetLeft"]!);
    }

    [Fact]
    public async Task Concurrent_redemptions_of_one_code_never_exceed_its_uses()
    {
        var p = await server.NewProgrammeAsync();
        await CreateCampaignAsync(p, new
        {
            id = "flyer", name = "Flyer", validFromUtc = Started, validToUtc = (DateTime?)null, offer = new { kind = "percent_off_basket", percent = 20m }, codes = "uniqueBatch",
            limits = new { usesPerCode = 3 },
        });
        var batch = await p.Admin.PostAsJsonAsync("/api/v1/campaigns/flyer/codes", new { count = 2, pattern = "FLY-#####-#####" }, TestProgramme.Json);
        await TestProgramme.Expect(batch, HttpStatusCode.Created);
        var codes = (await batch.Content.ReadFromJsonAsync<JsonObject>(TestProgramme.Json))!["codes"]!.AsArray().Select(c => (string)c!).ToList();
        Assert.Equal(2, codes.Distinct().Count());
        var csv = await p.Admin.GetStringAsync("/api/v1/campaigns/flyer/codes.csv");
        Assert.All(codes, c => Assert.Contains(c, csv, StringComparison.Ordinal));

        var responses = await Task.WhenAll(Enumerable.Range(0, 12).Select(i =>
            p.Pos.PostAsJsonAsync("/api/v1/purchases", Anonymous($"fly-{i}", [codes[0]], Line("tea", 1, 10m)), TestProgramme.Json)));
        Assert.Equal(3, responses.Count(r => r.StatusCode == HttpStatusCode.Created));
        foreach (var r in responses.Where(r => r.StatusCode != HttpStatusCode.Created))
            Assert.Equal("coupon_limit_reached", (string)(await ProblemAsync(r, HttpStatusCode.UnprocessableEntity))["code"]!);
        // The other code of the batch is untouched.
        await p.BuyAsync(Anonymous("fly-other", [codes[1]], Line("tea", 1, 10m)));
    }

    [Fact]
    public async Task A_return_that_breaks_a_bundle_claws_back_its_discount()
    {
        var p = await server.NewProgrammeAsync();
        await CreateCampaignAsync(p, Bundle);
        var (member, card) = await p.EnrolAsync();
        var bought = await p.BuyAsync(ForCard("claw-1", card, [], Line("burger", 1, 5m), Line("fries", 1, 3m)));
        Assert.Equal(6m, (decimal)bought["total"]!);
        var id = (string)bought["id"]!;
        // The fries come back: the burger kept no longer forms a bundle and costs its own 5.00, so 1.00 of the 6.00 paid is refunded.
        var res = await p.Pos.PostAsJsonAsync($"/api/v1/purchases/{id}/returns", new { returnId = "ret-1", lines = new[] { new { lineNo = 2, quantity = 1m } } },
            TestProgramme.Json);
        await TestProgramme.Expect(res, HttpStatusCode.Created);
        var ret = (await res.Content.ReadFromJsonAsync<JsonObject>(TestProgramme.Json))!;
        Assert.Equal(1m, (decimal)ret["value"]!);
        // The burger comes back too: the rest of the 6.00 paid.
        var rest = await p.Pos.PostAsJsonAsync($"/api/v1/purchases/{id}/returns", new { returnId = "ret-2", lines = new[] { new { lineNo = 1, quantity = 1m } } },
            TestProgramme.Json);
        await TestProgramme.Expect(rest, HttpStatusCode.Created);
        Assert.Equal(5m, (decimal)(await rest.Content.ReadFromJsonAsync<JsonObject>(TestProgramme.Json))!["value"]!);
        Assert.Equal(0, await p.AvailableAsync(member));
        await p.AssertLedgerInvariantsAsync();
    }

    [Fact]
    public async Task A_full_stamp_card_is_rewarded_once_with_a_free_coffee_at_the_next_purchase()
    {
        var p = await server.NewProgrammeAsync();
        await CreateCampaignAsync(p, new
        {
            id = "free-coffee", name = "A coffee on us", validFromUtc = Started, validToUtc = (DateTime?)null, offer = new { kind = "free_item", sku = "coffee", quantity = 1 },
            codes = "personal", limits = new { usesPerCode = 1 },
        });
        var put = await p.Admin.PutAsJsonAsync("/api/v1/stamp-cards/coffee", new
        {
            id = "coffee", name = "Coffee card", stampsPerCard = 3, basis = "perUnit",
            reward = new { kind = "freeItemNextPurchase", campaignId = "free-coffee", sku = "coffee" }, conditions = new { skus = new[] { "coffee" } },
        }, TestProgramme.Json);
        await TestProgramme.Expect(put, HttpStatusCode.OK);
        var (member, card) = await p.EnrolAsync();

        await p.BuyAsync(ForCard("c-1", card, [], Line("coffee", 2, 3m)));
        var filling = ForCard("c-2", card, [], Line("coffee", 2, 3m), Line("cake", 1, 4m));
        await p.BuyAsync(filling);
        // The same receipt again is the same purchase: no second stamp, no second reward.
        await p.BuyAsync(filling, HttpStatusCode.OK);

        var cards = (await p.Pos.GetFromJsonAsync<JsonArray>($"/api/v1/members/{member}/stamp-cards", TestProgramme.Json))!;
        Assert.Equal(1, (int)cards[0]!["cardsFilled"]!);
        Assert.Equal(1, (int)cards[0]!["stamps"]!);
        var coupons = (await p.Pos.GetFromJsonAsync<JsonArray>($"/api/v1/members/{member}/coupons", TestProgramme.Json))!;
        Assert.Single(coupons);

        // The next purchase with a coffee gets it free without presenting the code, once.
        var next = await p.BuyAsync(ForCard("c-3", card, [], Line("coffee", 1, 3m), Line("cake", 1, 4m)));
        Assert.Equal(4m, (decimal)next["total"]!);
        Assert.Equal("free-coffee", (string)next["promotions"]![0]!["campaignId"]!);
        var after = await p.BuyAsync(ForCard("c-4", card, [], Line("cake", 1, 4m)));
        Assert.Empty(after["promotions"]!.AsArray());
        Assert.Empty((await p.Pos.GetFromJsonAsync<JsonArray>($"/api/v1/members/{member}/coupons", TestProgramme.Json))!);
    }

    [Fact]
    public async Task A_personal_code_is_made_for_a_member_found_by_id_card_number_or_e_mail()
    {
        var p = await server.NewProgrammeAsync();
        await CreateCampaignAsync(p, new
        {
            id = "thanks", name = "Thank you", validFromUtc = Started, validToUtc = (DateTime?)null, offer = new { kind = "amount_off_basket", amount = 2m },
            codes = "personal", limits = new { usesPerCode = 1 },
        });
        var (member, card) = await p.EnrolAsync("Grace Hopper", "Grace.Hopper@example.org");
        async Task<JsonObject> PersonalAsync(object body, HttpStatusCode status) =>
            await ProblemAsync(await p.Admin.PostAsJsonAsync("/api/v1/campaigns/thanks/personal-codes", body, TestProgramme.Json), status);

        var byId = await PersonalAsync(new { memberId = member }, HttpStatusCode.Created);
        var byCard = await PersonalAsync(new { cardNumber = card }, HttpStatusCode.Created);
        var byEmail = await PersonalAsync(new { email = " grace.hopper@EXAMPLE.org " }, HttpStatusCode.Created);
        foreach (var made in new[] { byId, byCard, byEmail }) Assert.Equal(member, Guid.Parse((string)made["memberId"]!));
        var coupons = (await p.Pos.GetFromJsonAsync<JsonArray>($"/api/v1/members/{member}/coupons", TestProgramme.Json))!;
        Assert.Equal(new[] { (string)byId["code"]!, (string)byCard["code"]!, (string)byEmail["code"]! }.Order(), coupons.Select(c => (string)c!["code"]!).Order());

        // Nobody found names the field the member was looked for by; none or two ways of naming the member is bad input.
        Assert.Equal("cardNumber", (string)(await PersonalAsync(new { cardNumber = "0000000000000" }, HttpStatusCode.NotFound))["field"]!);
        Assert.Equal("email", (string)(await PersonalAsync(new { email = "nobody@example.org" }, HttpStatusCode.NotFound))["field"]!);
        Assert.Equal("memberId", (string)(await PersonalAsync(new { memberId = Guid.NewGuid() }, HttpStatusCode.NotFound))["field"]!);
        Assert.Equal("memberId", (string)(await PersonalAsync(new { code = "ABC123" }, HttpStatusCode.BadRequest))["field"]!);
        Assert.Equal("memberId", (string)(await PersonalAsync(new { memberId = member, cardNumber = card }, HttpStatusCode.BadRequest))["field"]!);
        // A member of another programme is not found by their card.
        var other = await server.NewProgrammeAsync();
        var (_, otherCard) = await other.EnrolAsync();
        Assert.Equal("member_not_found", (string)(await PersonalAsync(new { cardNumber = otherCard }, HttpStatusCode.NotFound))["code"]!);
    }

    private async Task<decimal> QuotedTotalAsync(TestProgramme p, decimal price)
    {
        var res = await p.Pos.PostAsJsonAsync("/api/v1/purchases/quote", new
        {
            partner = "shop", currency = "EUR", total = price, lines = new[] { Line("tea", 1, price) },
        }, TestProgramme.Json);
        await TestProgramme.Expect(res, HttpStatusCode.OK);
        return (decimal)(await res.Content.ReadFromJsonAsync<JsonObject>(TestProgramme.Json))!["total"]!;
    }

    [Fact]
    public async Task The_programme_sets_the_stacking_order_and_groups_through_the_API()
    {
        var p = await server.NewProgrammeAsync();
        await CreateCampaignAsync(p, new
        {
            id = "euro-off", name = "One euro off", validFromUtc = Started, validToUtc = (DateTime?)null,
            offer = new { kind = "amount_off_basket", amount = 1m }, codes = "automatic", group = "deals",
        });
        await CreateCampaignAsync(p, new
        {
            id = "tea-ten", name = "Tea ten percent", validFromUtc = Started, validToUtc = (DateTime?)null,
            offer = new { kind = "percent_off_lines", percent = 10m, lines = new { skus = new[] { "tea" } } }, codes = "automatic", group = "deals",
        });
        var initial = (await p.Admin.GetFromJsonAsync<JsonObject>("/api/v1/promotion-stacking", TestProgramme.Json))!;
        Assert.Equal("bundles", (string)initial["order"]![0]!);
        Assert.Empty(initial["groups"]!.AsArray());
        // By default line discounts come before basket discounts, and a group not listed combines freely: 10 - 1.00 (10 %), then - 1.00.
        Assert.Equal(8m, await QuotedTotalAsync(p, 10m));

        // Basket discounts first: 10 - 1.00, then 10 % of the 9.00 left on the line.
        var put = await p.Admin.PutAsJsonAsync("/api/v1/promotion-stacking", new { order = new[] { "basketDiscounts", "lineDiscounts" }, groups = Array.Empty<object>() },
            TestProgramme.Json);
        await TestProgramme.Expect(put, HttpStatusCode.OK);
        Assert.Equal(8.10m, await QuotedTotalAsync(p, 10m));
        Assert.Equal(17.10m, await QuotedTotalAsync(p, 20m));

        // One campaign of the group only: the first in the order.
        put = await p.Admin.PutAsJsonAsync("/api/v1/promotion-stacking",
            new { order = new[] { "basketDiscounts", "lineDiscounts" }, groups = new[] { new { name = "deals", oneOnly = true } } }, TestProgramme.Json);
        await TestProgramme.Expect(put, HttpStatusCode.OK);
        Assert.Equal(19m, await QuotedTotalAsync(p, 20m));
        var stored = (await p.Admin.GetFromJsonAsync<JsonObject>("/api/v1/promotion-stacking", TestProgramme.Json))!;
        Assert.Equal("deals", (string)stored["groups"]![0]!["name"]!);

        var twice = await ProblemAsync(await p.Admin.PutAsJsonAsync("/api/v1/promotion-stacking",
            new { order = new[] { "bundles", "bundles" }, groups = Array.Empty<object>() }, TestProgramme.Json), HttpStatusCode.BadRequest);
        Assert.Equal("order[1]", (string)twice["field"]!);
        var unnamed = await ProblemAsync(await p.Admin.PutAsJsonAsync("/api/v1/promotion-stacking",
            new { order = Array.Empty<string>(), groups = new[] { new { name = "", oneOnly = true } } }, TestProgramme.Json), HttpStatusCode.BadRequest);
        Assert.Equal("groups[0].name", (string)unnamed["field"]!);
        var unknown = await ProblemAsync(await p.Admin.PutAsJsonAsync("/api/v1/promotion-stacking",
            new { order = new[] { "bogof" }, groups = Array.Empty<object>() }, TestProgramme.Json), HttpStatusCode.BadRequest);
        Assert.Contains("order", unknown.ToJsonString(), StringComparison.Ordinal);
        // A refused setting changed nothing.
        Assert.Equal(19m, await QuotedTotalAsync(p, 20m));
    }

    private static async Task PutPointsCardAsync(TestProgramme p, string id, string onReturn)
    {
        var put = await p.Admin.PutAsJsonAsync($"/api/v1/stamp-cards/{id}", new
        {
            id, name = "Tea card " + id, stampsPerCard = 3, basis = "perUnit", onReturn,
            reward = new { kind = "points", points = 50 }, conditions = new { skus = new[] { "tea" } },
        }, TestProgramme.Json);
        await TestProgramme.Expect(put, HttpStatusCode.OK);
    }

    private static async Task<JsonObject> ReturnAsync(TestProgramme p, JsonObject purchase, string returnId, int lineNo, decimal quantity)
    {
        var res = await p.Pos.PostAsJsonAsync($"/api/v1/purchases/{(string)purchase["id"]!}/returns",
            new { returnId, lines = new[] { new { lineNo, quantity } } }, TestProgramme.Json);
        await TestProgramme.Expect(res, HttpStatusCode.Created);
        return (await res.Content.ReadFromJsonAsync<JsonObject>(TestProgramme.Json))!;
    }

    [Fact]
    public async Task A_full_stamp_card_with_a_points_reward_credits_them_with_the_purchase_and_a_return_claws_them_back()
    {
        var p = await server.NewProgrammeAsync();
        await PutPointsCardAsync(p, "tea", "clawBack");
        var (member, card) = await p.EnrolAsync();

        await p.BuyAsync(ForCard("t-1", card, [], Line("tea", 1, 2m)));
        var filling = await p.BuyAsync(ForCard("t-2", card, [], Line("tea", 2, 2m), Line("cake", 1, 4m)));
        // 2 + 8 points by the base rate, 50 for the full card; the purchase's own answer already holds them.
        Assert.Equal(60, (long)filling["balance"]!["available"]!);
        Assert.Equal(60, await p.AvailableAsync(member));
        // A repeated receipt credits nothing more.
        await p.BuyAsync(ForCard("t-2", card, [], Line("tea", 2, 2m), Line("cake", 1, 4m)), HttpStatusCode.OK);
        Assert.Equal(60, await p.AvailableAsync(member));

        var history = (await p.Pos.GetFromJsonAsync<JsonObject>($"/api/v1/members/{member}/history", TestProgramme.Json))!;
        var reward = history["items"]!.AsArray().Single(i => (string?)i!["explanation"]![0]!["reason"]?["key"] == "stamp_card_full")!;
        Assert.Equal("earn", (string)reward["kind"]!);
        Assert.Equal((string)filling["id"]!, (string)reward["purchaseId"]!);
        Assert.Equal(50, (long)reward["explanation"]![0]!["points"]!);
        Assert.Equal("Tea card tea: card 1 full", (string)reward["explanation"]![0]!["name"]!);

        // Returning a tea of the filling purchase takes its stamp back, so the card is no longer full: its 50 points go.
        await ReturnAsync(p, filling, "rt-1", 1, 1m);
        Assert.Equal(60 - 2 - 50, await p.AvailableAsync(member));
        history = (await p.Pos.GetFromJsonAsync<JsonObject>($"/api/v1/members/{member}/history", TestProgramme.Json))!;
        var back = history["items"]!.AsArray().Single(i => (string?)i!["explanation"]![0]!["reason"]?["key"] == "stamp_card_taken_back")!;
        Assert.Equal("reverse", (string)back["kind"]!);
        Assert.Equal(-50, (long)back["explanation"]![0]!["points"]!);
        var cards = (await p.Pos.GetFromJsonAsync<JsonArray>($"/api/v1/members/{member}/stamp-cards", TestProgramme.Json))!;
        Assert.Equal(0, (int)cards[0]!["rewardsHeld"]!);
        Assert.Equal(2, (int)cards[0]!["stamps"]!);
        await p.AssertLedgerInvariantsAsync();
    }

    [Fact]
    public async Task A_stamp_card_that_marks_returns_leaves_its_points_with_the_member()
    {
        var p = await server.NewProgrammeAsync();
        await PutPointsCardAsync(p, "tea-marked", "mark");
        var (member, card) = await p.EnrolAsync();

        var filling = await p.BuyAsync(ForCard("m-1", card, [], Line("tea", 3, 2m)));
        Assert.Equal(56, await p.AvailableAsync(member));
        await ReturnAsync(p, filling, "rm-1", 1, 1m);
        // The tea's 2 points go back; the card's 50 stay, and the card says so.
        Assert.Equal(54, await p.AvailableAsync(member));
        var cards = (await p.Pos.GetFromJsonAsync<JsonArray>($"/api/v1/members/{member}/stamp-cards", TestProgramme.Json))!;
        Assert.Equal(1, (int)cards[0]!["rewardsHeld"]!);
        await p.AssertLedgerInvariantsAsync();
    }
}

public sealed class PromotionTestsOnSqlite(SqliteServer server) : PromotionTests(server), IClassFixture<SqliteServer>;

/// <summary>On PostgreSQL with four group-commit writers in small groups, so concurrent redemptions are written side by side.</summary>
public sealed class PromotionTestsOnPostgres(PromotionTestsOnPostgres.Server server) : PromotionTests(server), IClassFixture<PromotionTestsOnPostgres.Server>
{
    public sealed class Server(PostgresCluster cluster) : PostgresServer(cluster)
    {
        protected override void ConfigureWebHost(Microsoft.AspNetCore.Hosting.IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.UseSetting("Treue:GroupCommit:Writers", "4");
            builder.UseSetting("Treue:GroupCommit:MaxBatch", "2");
        }
    }
}

/// <summary>Two real server processes on one PostgreSQL database redeem one code at once: its budget holds across nodes.</summary>
public sealed class PromotionBudgetOnTwoNodes(PostgresCluster cluster)
{
    [Fact]
    public async Task Concurrent_redemptions_through_two_nodes_never_exceed_the_budget()
    {
        const int allowed = 6;
        var cs = await cluster.CreateDatabaseAsync();
        await using var first = await ServerProcess.StartAsync(cs); // migrates the database
        await using var second = await ServerProcess.StartAsync(cs);
        string key;
        var options = new Microsoft.EntityFrameworkCore.DbContextOptionsBuilder<Treue.Storage.TreueDb>();
        options.UseTreueDatabase(cs);
        await using (var db = new Treue.Storage.TreueDb(options.Options))
        {
            var (result, _) = await new Treue.Server.Features.Programmes.ProgrammeApplier(db, TimeProvider.System)
                .ApplyAsync(TestProgramme.DefaultDocument with { Code = "budget-nodes" }, CancellationToken.None);
            key = (await Treue.Server.Features.ApiKeys.ApiKeyEndpoints.CreateAsync(db, result!.ProgrammeId, "nodes", Treue.Storage.Entities.ApiRole.Admin, null,
                DateTime.UtcNow, CancellationToken.None)).Key;
        }
        var clients = new[] { first, second }.Select(s =>
        {
            var c = new HttpClient { BaseAddress = s.Address };
            c.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
            return c;
        }).ToArray();
        var withNulls = new System.Text.Json.JsonSerializerOptions(TestProgramme.Json) { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.Never };
        var created = await clients[0].PostAsJsonAsync("/api/v1/campaigns", new
        {
            campaign = new
            {
                id = "edge", name = "One euro off", validFromUtc = DateTime.UtcNow.AddDays(-1), validToUtc = (DateTime?)null,
                offer = new { kind = "amount_off_basket", amount = 1m }, codes = "generic",
                limits = new { usesPerCode = (int?)null, usesPerMember = (int?)null, budget = new { unit = "money", amount = (decimal)allowed } },
            },
            code = "EDGE1",
        }, withNulls);
        await TestProgramme.Expect(created, HttpStatusCode.Created);

        var responses = await Task.WhenAll(Enumerable.Range(0, 4 * allowed).Select(i => clients[i % 2].PostAsJsonAsync("/api/v1/purchases", new
        {
            receiptId = $"edge-{i}", partner = "shop", currency = "EUR", anonymous = true, codes = new[] { "EDGE1" }, total = 10m,
            lines = new[] { new { sku = "tea", quantity = 1m, unitPrice = 10m } },
        }, TestProgramme.Json)));
        Assert.Equal(allowed, responses.Count(r => r.StatusCode == HttpStatusCode.Created));
        foreach (var r in responses.Where(r => r.StatusCode != HttpStatusCode.Created))
        {
            await TestProgramme.Expect(r, HttpStatusCode.UnprocessableEntity);
            Assert.Equal("coupon_budget_exhausted", (string)(await r.Content.ReadFromJsonAsync<JsonObject>(TestProgramme.Json))!["code"]!);
        }
        var usage = (await clients[1].GetFromJsonAsync<JsonObject>("/api/v1/campaigns/edge/usage", TestProgramme.Json))!;
        Assert.Equal(allowed, (decimal)usage["moneySpent"]!);
    }
}
