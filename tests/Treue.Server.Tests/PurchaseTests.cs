using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Treue.Domain.Earning;
using Treue.Server.Infrastructure;
using Treue.Server.Tests.Infrastructure;

namespace Treue.Server.Tests;

public abstract class PurchaseTests(TreueServer server)
{
    private static HttpRequestMessage Post(string url, object body, string? key = null)
    {
        var req = new HttpRequestMessage(HttpMethod.Post, url) { Content = JsonContent.Create(body, options: TestProgramme.Json) };
        if (key is not null) req.Headers.Add("Idempotency-Key", key);
        return req;
    }

    [Fact]
    public async Task Purchase_earns_base_points_explained_per_line()
    {
        var p = await server.NewProgrammeAsync();
        var (member, card) = await p.EnrolAsync();
        var body = await p.BuyAsync(TestProgramme.Purchase("r1", card, ("milk", "dairy", 2, 1.19m), ("wine", "drinks", 1, 8.99m)));
        // floor(2.38) + floor(8.99) = 2 + 8
        Assert.Equal(10, (long)body["pointsEarned"]!);
        Assert.Equal(2, (long)body["lines"]![0]!["points"]!);
        Assert.Equal(8, (long)body["lines"]![1]!["points"]!);
        Assert.Equal("base", (string)body["lines"]![1]!["contributions"]![0]!["rule"]!);
        Assert.Equal(10, await p.AvailableAsync(member));
        await p.AssertLedgerInvariantsAsync();
    }

    [Fact]
    public async Task A_member_with_a_birthday_earns_by_the_QR_payload_of_a_digital_card_and_by_member_id()
    {
        var p = await server.NewProgrammeAsync();
        var res = await p.Pos.PostAsJsonAsync("/api/v1/members",
            new { name = "Grace Hopper", email = "Grace@Example.org", birthday = "1990-12-09", language = "de", issueCard = "digital" }, TestProgramme.Json);
        Assert.Equal(HttpStatusCode.Created, res.StatusCode);
        var created = (await res.Content.ReadFromJsonAsync<JsonObject>(TestProgramme.Json))!;
        var member = Guid.Parse((string)created["id"]!);
        var qr = (string)created["cards"]![0]!["qrPayload"]!;
        Assert.StartsWith("treue:card:", qr, StringComparison.Ordinal);

        var byCard = await p.BuyAsync(TestProgramme.Purchase("r-qr", qr, ("tv", "electronics", 1, 40m)));
        Assert.Equal(member, Guid.Parse((string)byCard["memberId"]!));
        Assert.Equal(40, (long)byCard["balance"]!["available"]!);
        var byId = await p.BuyAsync(new
        {
            receiptId = "r-id", partner = "shop", store = "s1", channel = "store", currency = "EUR", memberId = member, total = 2m,
            lines = new[] { new { sku = "pen", category = "office", quantity = 1m, unitPrice = 2m } },
        });
        Assert.Equal(42, (long)byId["balance"]!["available"]!);
        Assert.Equal(42, await p.AvailableAsync(member));
        await p.AssertLedgerInvariantsAsync();
    }

    [Fact]
    public async Task Replayed_purchase_with_the_same_idempotency_key_never_earns_twice()
    {
        var p = await server.NewProgrammeAsync();
        var (member, card) = await p.EnrolAsync();
        var purchase = TestProgramme.Purchase("r-idem", card, ("tv", "electronics", 1, 499m));
        var first = await p.Pos.SendAsync(Post("/api/v1/purchases", purchase, "till-7-0001"));
        var firstBody = await first.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        for (var i = 0; i < 3; i++)
        {
            var again = await p.Pos.SendAsync(Post("/api/v1/purchases", purchase, "till-7-0001"));
            Assert.Equal(HttpStatusCode.Created, again.StatusCode);
            Assert.Equal(firstBody, await again.Content.ReadAsStringAsync());
            Assert.True(again.Headers.Contains("Idempotent-Replayed"));
            Assert.Equal(first.Headers.Location, again.Headers.Location);
        }
        Assert.Equal(499, await p.AvailableAsync(member));
        Assert.Equal(1, (await p.CountsAsync()).Purchases);
        await p.AssertLedgerInvariantsAsync();
    }

    [Fact]
    public async Task Same_idempotency_key_with_another_body_is_refused_with_422()
    {
        var p = await server.NewProgrammeAsync();
        var (_, card) = await p.EnrolAsync();
        await p.Pos.SendAsync(Post("/api/v1/purchases", TestProgramme.Purchase("a", card, ("x", "c", 1, 10m)), "k-1"));
        var res = await p.Pos.SendAsync(Post("/api/v1/purchases", TestProgramme.Purchase("b", card, ("x", "c", 1, 20m)), "k-1"));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, res.StatusCode);
        Assert.Equal("application/problem+json", res.Content.Headers.ContentType?.MediaType);
        var problem = await res.Content.ReadFromJsonAsync<JsonObject>();
        Assert.Equal("idempotency_key_reused", (string)problem!["code"]!);
        Assert.Equal(1, (await p.CountsAsync()).Purchases);
    }

    [Fact]
    public async Task Idempotency_keys_are_kept_for_the_retention_period_and_then_purged()
    {
        var p = await server.NewProgrammeAsync();
        var (_, card) = await p.EnrolAsync();
        await p.Pos.SendAsync(Post("/api/v1/purchases", TestProgramme.Purchase("keep", card, ("x", "c", 1, 10m)), "keep-key"));
        var now = server.Clock.GetUtcNow().UtcDateTime;
        var purgedEarly = await server.WithDbAsync(db => IdempotencyCleanup.PurgeAsync(db, now.AddHours(23), TimeSpan.FromHours(24), CancellationToken.None));
        Assert.Equal(0, purgedEarly);
        var opts = new IdempotencyOptions { Retention = TimeSpan.FromMinutes(5) };
        Assert.Equal(TimeSpan.FromHours(24), opts.Retention);
        var purged = await server.WithDbAsync(db => IdempotencyCleanup.PurgeAsync(db, now.AddHours(25), opts.Retention, CancellationToken.None));
        Assert.True(purged >= 1);
        // After the retention, the receipt id still keeps the purchase unique.
        var again = await p.Pos.SendAsync(Post("/api/v1/purchases", TestProgramme.Purchase("keep", card, ("x", "c", 1, 10m)), "keep-key"));
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(1, (await p.CountsAsync()).Purchases);
    }

    [Fact]
    public async Task Concurrent_retries_with_one_idempotency_key_record_one_purchase()
    {
        var p = await server.NewProgrammeAsync();
        var (member, card) = await p.EnrolAsync();
        var purchase = TestProgramme.Purchase("r-race", card, ("tv", "electronics", 1, 250m));
        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => p.Pos.SendAsync(Post("/api/v1/purchases", purchase, "race-key"))));
        Assert.All(responses, r => Assert.True(r.StatusCode is HttpStatusCode.Created or HttpStatusCode.Conflict, r.StatusCode.ToString()));
        Assert.Contains(responses, r => r.StatusCode == HttpStatusCode.Created);
        Assert.Equal(250, await p.AvailableAsync(member));
        Assert.Equal(1, (await p.CountsAsync()).Purchases);
        await p.AssertLedgerInvariantsAsync();
    }

    [Fact]
    public async Task The_same_receipt_id_twice_is_one_purchase_and_different_content_is_refused()
    {
        var p = await server.NewProgrammeAsync();
        var (member, card) = await p.EnrolAsync();
        var purchase = TestProgramme.Purchase("R-1001", card, ("shoes", "fashion", 1, 80m));
        var first = await p.BuyAsync(purchase);
        var second = await p.BuyAsync(purchase, HttpStatusCode.OK);
        Assert.Equal((string)first["id"]!, (string)second["id"]!);
        Assert.Equal(80, await p.AvailableAsync(member));

        var res = await p.Pos.PostAsJsonAsync("/api/v1/purchases", TestProgramme.Purchase("R-1001", card, ("shoes", "fashion", 2, 80m)), TestProgramme.Json);
        Assert.Equal(HttpStatusCode.Conflict, res.StatusCode);
        Assert.Equal("duplicate_receipt", (string)(await res.Content.ReadFromJsonAsync<JsonObject>())!["code"]!);
        Assert.Equal(80, await p.AvailableAsync(member));
    }

    [Fact]
    public async Task Quote_explains_rules_and_writes_nothing()
    {
        var doc = TestProgramme.DefaultDocument with
        {
            Rules =
            [
                new("books", "+2 per euro on books", 5, Stacking.Stack, new RuleConditions { Categories = ["books"] }, new RuleEffect(EffectKind.PointsPerCurrencyUnit, 2)),
                new("welcome", "Welcome", 9, Stacking.Stack, new RuleConditions { FirstPurchaseOnly = true }, new RuleEffect(EffectKind.FixedBonus, 500)),
            ],
        };
        var p = await server.NewProgrammeAsync(doc);
        var (member, card) = await p.EnrolAsync();
        var before = await p.CountsAsync();
        var res = await p.Pos.PostAsJsonAsync("/api/v1/purchases/quote", TestProgramme.Purchase("q", card, ("novel", "books", 1, 12.50m), ("pen", "stationery", 1, 3m)), TestProgramme.Json);
        await TestProgramme.Expect(res, HttpStatusCode.OK);
        var quote = (await res.Content.ReadFromJsonAsync<JsonObject>())!;
        // book line: base 12 + rule 25; pen: base 3; welcome 500
        Assert.Equal(540, (long)quote["points"]!);
        Assert.Equal(37, (long)quote["lines"]![0]!["points"]!);
        Assert.Equal(500, (long)quote["bonuses"]![0]!["points"]!);
        Assert.Equal(before, await p.CountsAsync());
        Assert.Equal(0, await p.AvailableAsync(member));

        // Without a card, the quote says what a (returning) member would earn.
        var anonymous = await p.Pos.PostAsJsonAsync("/api/v1/purchases/quote", new { partner = "shop", currency = "EUR", total = 12.5m,
            lines = new[] { new { sku = "novel", category = "books", quantity = 1m, unitPrice = 12.5m } } }, TestProgramme.Json);
        Assert.Equal(37, (long)(await anonymous.Content.ReadFromJsonAsync<JsonObject>())!["points"]!);
    }

    [Fact]
    public async Task Rules_apply_by_weekday_in_the_programme_time_zone_and_first_purchase_only_once()
    {
        var doc = TestProgramme.DefaultDocument with
        {
            TimeZone = "Europe/Berlin",
            Rules =
            [
                new("saturday", "2× on Saturdays", 10, Stacking.Stack, new RuleConditions { Weekdays = [DayOfWeek.Saturday] }, new RuleEffect(EffectKind.Multiplier, 2)),
                new("welcome", "Welcome", 9, Stacking.Stack, new RuleConditions { FirstPurchaseOnly = true }, new RuleEffect(EffectKind.FixedBonus, 100)),
            ],
        };
        var p = await server.NewProgrammeAsync(doc);
        var (member, card) = await p.EnrolAsync();
        // Friday 23:30 UTC is Saturday 01:30 in Berlin (summer time).
        var saturday = new { receiptId = "sat", partner = "shop", currency = "EUR", cardNumber = card, total = 60m,
            occurredAt = "2026-05-29T23:30:00Z", lines = new[] { new { sku = "a", quantity = 1m, unitPrice = 60m } } };
        var first = await p.BuyAsync(saturday);
        Assert.Equal(60 + 60 + 100, (long)first["pointsEarned"]!);
        var friday = new { receiptId = "fri", partner = "shop", currency = "EUR", cardNumber = card, total = 60m,
            occurredAt = "2026-05-29T20:00:00Z", lines = new[] { new { sku = "a", quantity = 1m, unitPrice = 60m } } };
        var second = await p.BuyAsync(friday);
        Assert.Equal(60, (long)second["pointsEarned"]!);
        Assert.Equal(280, await p.AvailableAsync(member));
    }

    [Fact]
    public async Task A_return_reverses_exactly_the_returned_lines_points_across_partial_returns()
    {
        var doc = TestProgramme.DefaultDocument with
        {
            Rules = [new("bonus", "Basket bonus", 1, Stacking.Stack, new RuleConditions { MinBasket = 50 }, new RuleEffect(EffectKind.FixedBonus, 40))],
        };
        var p = await server.NewProgrammeAsync(doc);
        var (member, card) = await p.EnrolAsync();
        var purchase = await p.BuyAsync(TestProgramme.Purchase("r", card, ("glass", "home", 3, 10m), ("plate", "home", 1, 25m)));
        Assert.Equal(30 + 25 + 40, (long)purchase["pointsEarned"]!);
        var id = (string)purchase["id"]!;

        async Task<JsonObject> Return(string returnId, int line, decimal qty, HttpStatusCode expected = HttpStatusCode.Created)
        {
            var res = await p.Pos.PostAsJsonAsync($"/api/v1/purchases/{id}/returns", new { returnId, lines = new[] { new { lineNo = line, quantity = qty } } }, TestProgramme.Json);
            await TestProgramme.Expect(res, expected);
            return (await res.Content.ReadFromJsonAsync<JsonObject>())!;
        }

        Assert.Equal(10, (long)(await Return("ret-1", 1, 1))["pointsReversed"]!);
        Assert.Equal(85, await p.AvailableAsync(member));
        Assert.Equal(20, (long)(await Return("ret-2", 1, 2))["pointsReversed"]!);
        // The same return id again is the same return, not a second one.
        Assert.Equal(20, (long)(await Return("ret-2", 1, 2, HttpStatusCode.OK))["pointsReversed"]!);
        Assert.Equal(65, await p.AvailableAsync(member));

        var tooMany = await p.Pos.PostAsJsonAsync($"/api/v1/purchases/{id}/returns", new { returnId = "ret-3", lines = new[] { new { lineNo = 1, quantity = 1m } } }, TestProgramme.Json);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, tooMany.StatusCode);
        var problem = (await tooMany.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal("return_exceeds_purchase", (string)problem["code"]!);
        Assert.Equal("lines[0].quantity", (string)problem["field"]!);

        // The last line back: its points and the basket bonus go.
        Assert.Equal(25 + 40, (long)(await Return("ret-4", 2, 1))["pointsReversed"]!);
        Assert.Equal(0, await p.AvailableAsync(member));
        await p.AssertLedgerInvariantsAsync();
    }

    [Fact]
    public async Task Concurrent_returns_of_one_purchase_never_return_more_than_was_bought()
    {
        var p = await server.NewProgrammeAsync();
        var (member, card) = await p.EnrolAsync();
        var purchase = await p.BuyAsync(TestProgramme.Purchase("r", card, ("glass", "home", 4, 10m)));
        var id = (string)purchase["id"]!;
        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(i =>
            p.Pos.PostAsJsonAsync($"/api/v1/purchases/{id}/returns", new { returnId = $"c{i}", lines = new[] { new { lineNo = 1, quantity = 1m } } }, TestProgramme.Json)));
        Assert.Equal(4, results.Count(r => r.StatusCode == HttpStatusCode.Created));
        Assert.Equal(4, results.Count(r => r.StatusCode == HttpStatusCode.UnprocessableEntity));
        Assert.Equal(0, await p.AvailableAsync(member));
        await p.AssertLedgerInvariantsAsync();
    }

    [Fact]
    public async Task Anonymous_purchases_are_recorded_without_points()
    {
        var p = await server.NewProgrammeAsync();
        var res = await p.Pos.PostAsJsonAsync("/api/v1/purchases", new { receiptId = "anon-1", partner = "shop", currency = "EUR", anonymous = true, total = 12m,
            lines = new[] { new { sku = "a", quantity = 1m, unitPrice = 12m } } }, TestProgramme.Json);
        await TestProgramme.Expect(res, HttpStatusCode.Created);
        var body = (await res.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Null(body["memberId"]);
        Assert.Equal(0, (long)body["pointsEarned"]!);
        Assert.Equal(0, (await p.CountsAsync()).Transactions);
    }

    [Fact]
    public async Task Paying_with_points_discounts_the_purchase_and_a_return_gives_the_points_back()
    {
        var p = await server.NewProgrammeAsync();
        var (member, card) = await p.EnrolAsync();
        await p.GiveAsync(member, 1000);
        var purchase = new
        {
            receiptId = "pay", partner = "shop", currency = "EUR", cardNumber = card, total = 40m,
            lines = new[] { new { sku = "a", quantity = 2m, unitPrice = 20m } }, pointsPayment = new { points = 600 },
        };
        var body = await p.BuyAsync(purchase);
        Assert.Equal(600, (long)body["pointsPaid"]!);
        Assert.Equal(6m, (decimal)body["pointsDiscount"]!);
        Assert.Equal(34m, (decimal)body["amountDue"]!);
        Assert.Equal(1000 - 600 + 40, await p.AvailableAsync(member));

        var ret = await p.Pos.PostAsJsonAsync($"/api/v1/purchases/{(string)body["id"]!}/returns", new { returnId = "back", lines = new[] { new { lineNo = 1, quantity = 1m } } }, TestProgramme.Json);
        await TestProgramme.Expect(ret, HttpStatusCode.Created);
        var r = (await ret.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal(20, (long)r["pointsReversed"]!);
        Assert.Equal(300, (long)r["paidPointsRefunded"]!);
        Assert.Equal(440 - 20 + 300, await p.AvailableAsync(member));
        await p.AssertLedgerInvariantsAsync();
    }

    [Fact]
    public async Task Paying_with_more_points_than_the_balance_or_the_policy_allows_is_refused_and_writes_nothing()
    {
        var p = await server.NewProgrammeAsync();
        var (member, card) = await p.EnrolAsync();
        await p.GiveAsync(member, 500);
        var before = await p.CountsAsync();
        object Pay(long points) => new
        {
            receiptId = "pay-" + points, partner = "shop", currency = "EUR", cardNumber = card, total = 100m,
            lines = new[] { new { sku = "a", quantity = 1m, unitPrice = 100m } }, pointsPayment = new { points },
        };
        var insufficient = await p.Pos.PostAsJsonAsync("/api/v1/purchases", Pay(800), TestProgramme.Json);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, insufficient.StatusCode);
        Assert.Equal("insufficient_points", (string)(await insufficient.Content.ReadFromJsonAsync<JsonObject>())!["code"]!);
        var belowMinimum = await p.Pos.PostAsJsonAsync("/api/v1/purchases", Pay(50), TestProgramme.Json);
        Assert.Equal("below_minimum_points", (string)(await belowMinimum.Content.ReadFromJsonAsync<JsonObject>())!["code"]!);
        Assert.Equal(before, await p.CountsAsync());
        Assert.Equal(500, await p.AvailableAsync(member));
    }
}

public sealed class PurchaseTestsOnSqlite(SqliteServer server) : PurchaseTests(server), IClassFixture<SqliteServer>;

public sealed class PurchaseTestsOnPostgres(PostgresServer server) : PurchaseTests(server), IClassFixture<PostgresServer>;
