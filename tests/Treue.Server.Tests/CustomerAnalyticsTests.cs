using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Treue.Server.Tests.Infrastructure;

namespace Treue.Server.Tests;

/// <summary>
/// The customer analyses over the API, on a programme of 30 members with a deterministic purchase history: the
/// figures must agree with the history the test itself recorded.
/// </summary>
public abstract class CustomerAnalyticsTests(TreueServer server)
{
    private sealed record History(TestProgramme P, Guid[] Members, Dictionary<Guid, decimal> Revenue, Guid WineOnly, int Purchases);

    private static object Receipt(string id, string card, DateTimeOffset at, params (string Category, decimal Price)[] lines) => new
    {
        receiptId = id, partner = "shop", store = "s1", channel = "store", currency = "EUR", cardNumber = card, occurredAt = at,
        total = lines.Sum(l => l.Price),
        lines = lines.Select((l, i) => new { sku = $"{l.Category}-{i}", category = l.Category, quantity = 1m, unitPrice = l.Price }).ToArray(),
    };

    private async Task<History> HistoryAsync()
    {
        var p = await server.NewProgrammeAsync();
        var random = new Random(7);
        var start = new DateTimeOffset(2025, 6, 1, 10, 0, 0, TimeSpan.Zero);
        var members = new List<Guid>();
        var revenue = new Dictionary<Guid, decimal>();
        var n = 0;
        for (var i = 0; i < 30; i++)
        {
            var (member, card) = await p.EnrolAsync($"Member {i}");
            members.Add(member);
            revenue[member] = 0;
            var visits = 1 + i % 5;
            var day = random.Next(0, 120);
            for (var v = 0; v < visits && day < 360; v++)
            {
                var price = 10m + random.Next(0, 90) + i;
                (string, decimal)[] lines = v % 2 == 0 ? [("wine", price), ("cheese", 5m)] : [("bread", price)];
                await p.BuyAsync(Receipt($"r{i}-{v}", card, start.AddDays(day), lines));
                revenue[member] += lines.Sum(l => l.Item2);
                n++;
                day += 10 + random.Next(0, 60);
            }
        }
        var (wineOnly, wineCard) = await p.EnrolAsync("Wine only");
        await p.BuyAsync(Receipt("wine-only", wineCard, start.AddDays(300), ("wine", 20m)));
        revenue[wineOnly] = 20m;
        n++;
        members.Add(wineOnly);
        return new History(p, [.. members], revenue, wineOnly, n);
    }

    private static async Task<JsonObject> GetAsync(HttpClient client, string url)
    {
        var res = await client.GetAsync(url);
        await TestProgramme.Expect(res, HttpStatusCode.OK);
        return (await res.Content.ReadFromJsonAsync<JsonObject>(TestProgramme.Json))!;
    }

    private static async Task<string> ProblemFieldAsync(HttpClient client, string url)
    {
        var res = await client.GetAsync(url);
        Assert.Equal(HttpStatusCode.BadRequest, res.StatusCode);
        Assert.Equal("application/problem+json", res.Content.Headers.ContentType?.MediaType);
        var body = (await res.Content.ReadFromJsonAsync<JsonObject>())!;
        return string.Join(",", body["errors"]!.AsObject().Select(e => e.Key));
    }

    [Fact]
    public async Task Abc_and_rfm_partition_the_members_and_their_revenue()
    {
        var h = await HistoryAsync();
        var abc = await GetAsync(h.P.Admin, "/api/v1/analytics/abc");
        Assert.Equal(h.Members.Length, (int)abc["customers"]!);
        Assert.Equal(h.Revenue.Values.Sum(), (decimal)abc["totalRevenue"]!);
        var classes = abc["classes"]!.AsArray();
        Assert.Equal(h.Members.Length, classes.Sum(c => (int)c!["customers"]!));
        Assert.Equal(h.Revenue.Values.Sum(), classes.Sum(c => (decimal)c!["revenue"]!));
        Assert.InRange((double)abc["gini"]!, 0.01, 0.99);
        Assert.True((double)classes[0]!["revenueShare"]! >= 0.8);
        Assert.Equal("a", await ProblemFieldAsync(h.P.Admin, "/api/v1/analytics/abc?a=1.5"));
        Assert.Equal(HttpStatusCode.Forbidden, (await h.P.Pos.GetAsync("/api/v1/analytics/abc")).StatusCode);

        var rfm = await GetAsync(h.P.Admin, "/api/v1/analytics/rfm?asOf=2026-05-31&previous=2026-01-31");
        Assert.Equal(h.Members.Length, (int)rfm["scoredCustomers"]!);
        var segments = rfm["segments"]!.AsArray();
        Assert.Equal(h.Members.Length, segments.Sum(s => (int)s!["customers"]!));
        Assert.Equal(h.Revenue.Values.Sum(), segments.Sum(s => (decimal)s!["revenue"]!));
        Assert.Equal(25, rfm["grid"]!.AsArray().Count);
        Assert.Equal(h.Members.Length, rfm["moves"]!.AsArray().Sum(m => (int)m!["members"]!));

        // Every member of every segment, page by page, adds up to all members, each once.
        var seen = new HashSet<Guid>();
        foreach (var s in segments.Where(s => (int)s!["customers"]! > 0))
        {
            string? cursor = null;
            do
            {
                var page = await GetAsync(h.P.Admin, $"/api/v1/analytics/rfm/members?asOf=2026-05-31&segment={s!["segment"]}&limit=4" + (cursor is null ? "" : "&cursor=" + cursor));
                foreach (var m in page["items"]!.AsArray())
                {
                    Assert.Equal((string)s["segment"]!, (string)m!["segment"]!);
                    Assert.True(seen.Add(Guid.Parse((string)m["memberId"]!)));
                }
                cursor = (string?)page["nextCursor"];
            } while (cursor is not null);
        }
        Assert.Equal(h.Members.ToHashSet(), seen);
        Assert.Equal("segment", await ProblemFieldAsync(h.P.Admin, "/api/v1/analytics/rfm/members?segment=royalty"));
    }

    [Fact]
    public async Task Lifetime_values_are_fitted_scored_and_checked_against_a_holdout()
    {
        var h = await HistoryAsync();
        var clv = await GetAsync(h.P.Admin, "/api/v1/analytics/clv?asOf=2026-05-31&calibrationEnd=2026-05-31&top=10&horizonMonths=12");
        Assert.Equal(h.Members.Length, (int)clv["customers"]!);
        Assert.Equal(["a", "alpha", "b", "r"], clv["parameters"]!.AsObject().Select(p => p.Key).Order());
        Assert.True(clv["parameters"]!.AsObject().All(p => (double)p.Value! > 0));
        Assert.True((double)clv["logLikelihood"]! < 0);
        var top = clv["top"]!.AsArray().Select(m => (decimal)m!["clv"]!).ToList();
        Assert.Equal(10, top.Count);
        Assert.Equal(top.OrderDescending(), top);
        Assert.Equal(h.Members.Length, clv["probabilityAlive"]!.AsArray().Sum(b => (int)b!["members"]!));
        Assert.Equal(h.Revenue.Values.Sum(), (decimal)clv["historicalValue"]!);

        var pareto = await GetAsync(h.P.Admin, "/api/v1/analytics/clv?model=paretoNbd&calibrationEnd=2026-05-31");
        Assert.Equal(["alpha", "beta", "r", "s"], pareto["parameters"]!.AsObject().Select(p => p.Key).Order());

        Assert.Equal("horizonMonths", await ProblemFieldAsync(h.P.Admin, "/api/v1/analytics/clv?horizonMonths=0"));
        Assert.Equal("model", await ProblemFieldAsync(h.P.Admin, "/api/v1/analytics/clv?model=crystal-ball"));
        Assert.Equal("calibrationEnd", await ProblemFieldAsync(h.P.Admin, "/api/v1/analytics/clv?calibrationEnd=2025-06-02"));

        // The holdout runs to the last recorded purchase: a later end would count days without data as days without purchases.
        Assert.Equal("holdoutEnd", await ProblemFieldAsync(h.P.Admin, "/api/v1/analytics/clv/holdout?calibrationEnd=2025-12-31&holdoutEnd=2026-05-31"));
        var holdout = await GetAsync(h.P.Admin, "/api/v1/analytics/clv/holdout?calibrationEnd=2025-12-31");
        var groups = holdout["groups"]!.AsArray();
        Assert.Equal((double)holdout["actualPurchases"]!, groups.Sum(g => (double)g!["actualPurchases"]!), 9);
        Assert.True((double)holdout["predictedPurchases"]! > 0);

        var risk = await h.P.Admin.GetFromJsonAsync<JsonArray>("/api/v1/analytics/churn-risk?valueShare=0.5&maxAlive=0.99", TestProgramme.Json);
        Assert.NotEmpty(risk!);
        Assert.All(risk!, m => Assert.True((double)m!["probabilityAlive"]! < 0.99));
        var values = risk!.Select(m => (decimal)m!["historicalValue"]!).ToList();
        Assert.Equal(values.OrderDescending(), values);
    }

    [Fact]
    public async Task Retention_counts_every_buyer_in_one_cohort()
    {
        var h = await HistoryAsync();
        var r = await GetAsync(h.P.Admin, "/api/v1/analytics/retention");
        var cohorts = r["cohorts"]!.AsArray();
        Assert.Equal(h.Members.Length, cohorts.Sum(c => (int)c!["size"]!));
        Assert.All(cohorts, c => Assert.Equal((int)c!["size"]!, (int)c["active"]![0]!));
        Assert.Equal(h.Members.Length, (int)r["repurchase"]!["customers"]!);
        Assert.Equal(h.Members.Count(m => h.Revenue[m] > 0) - 6 - 1, (int)r["repurchase"]!["repeaters"]!); // 6 members made one visit, and "wine only"
        Assert.Equal("by", await ProblemFieldAsync(h.P.Admin, "/api/v1/analytics/retention?by=zodiac"));
    }

    [Fact]
    public async Task Basket_rules_find_what_sells_together_and_members_get_what_they_lack()
    {
        var h = await HistoryAsync();
        var rules = await GetAsync(h.P.Admin, "/api/v1/analytics/baskets/rules?by=category&minSupport=0.05&minConfidence=0.9");
        var cheese = rules["rules"]!.AsArray().Single(r => r!["if"]!.AsArray().Select(x => (string)x!).SequenceEqual(["cheese"]));
        Assert.Equal(["wine"], cheese!["then"]!.AsArray().Select(x => (string)x!));
        Assert.Equal(1.0, (double)cheese["confidence"]!, 9);

        var suggestions = await h.P.Pos.GetFromJsonAsync<JsonArray>($"/api/v1/members/{h.WineOnly}/recommendations?by=category", TestProgramme.Json);
        Assert.Contains("cheese", suggestions!.Select(s => (string)s!["item"]!));
        Assert.DoesNotContain("wine", suggestions!.Select(s => (string)s!["item"]!));

        var other = await server.NewProgrammeAsync();
        Assert.Equal(HttpStatusCode.NotFound, (await other.Pos.GetAsync($"/api/v1/members/{h.WineOnly}/recommendations")).StatusCode);
        Assert.Equal("top", await ProblemFieldAsync(h.P.Pos, $"/api/v1/members/{h.WineOnly}/recommendations?top=100000"));
    }
}

public sealed class CustomerAnalyticsTestsOnSqlite(SqliteServer server) : CustomerAnalyticsTests(server), IClassFixture<SqliteServer>;

public sealed class CustomerAnalyticsTestsOnPostgres(PostgresServer server) : CustomerAnalyticsTests(server), IClassFixture<PostgresServer>;
