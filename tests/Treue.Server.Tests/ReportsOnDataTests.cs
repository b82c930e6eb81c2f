using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Treue.Server.Tests.Infrastructure;

namespace Treue.Server.Tests;

/// <summary>
/// The analytics API on reference data recorded through the purchases API, as a till or a shop would: the arules
/// Groceries baskets, and the start of the CDNOW log, a history that ended in 1998.
/// </summary>
public abstract class ReportsOnDataTests(TreueServer server)
{
    private static string Shared(params string[] parts)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine([dir.FullName, "shared", "data", .. parts]);
            if (File.Exists(candidate)) return candidate;
        }
        Assert.Fail($"Reference data shared/data/{string.Join('/', parts)} was not found beside the repository.");
        return "";
    }

    /// <summary>
    /// Records purchases a few at a time, as several tills would; the purchases of one group (one member's) one after
    /// the other, in order.
    /// </summary>
    private static Task RecordAsync(TestProgramme p, IEnumerable<IReadOnlyList<object>> groups) =>
        Parallel.ForEachAsync(groups, new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = TestContext.Current.CancellationToken },
            async (group, _) =>
            {
                foreach (var purchase in group) await p.BuyAsync(purchase);
            });

    private static async Task<JsonObject> GetAsync(HttpClient client, string url)
    {
        var res = await client.GetAsync(url);
        await TestProgramme.Expect(res, HttpStatusCode.OK);
        return (await res.Content.ReadFromJsonAsync<JsonObject>(TestProgramme.Json))!;
    }

    private static async Task<(string Fields, string Text)> ProblemAsync(HttpClient client, string url)
    {
        var res = await client.GetAsync(url);
        var text = await res.Content.ReadAsStringAsync();
        Assert.True(res.StatusCode == HttpStatusCode.BadRequest, $"{url}: {(int)res.StatusCode} {text}");
        Assert.Equal("application/problem+json", res.Content.Headers.ContentType?.MediaType);
        var body = JsonNode.Parse(text)!;
        return (string.Join(",", body["errors"]?.AsObject().Select(e => e.Key) ?? []), text);
    }

    private static string[] Names(JsonNode? n) => [.. n!.AsArray().Select(x => (string)x!).Order(StringComparer.Ordinal)];

    [Fact]
    public async Task Groceries_recorded_through_the_api_gives_the_410_published_rules()
    {
        var p = await server.NewProgrammeAsync();
        var start = new DateTimeOffset(2025, 1, 1, 8, 0, 0, TimeSpan.Zero);
        var baskets = File.ReadLines(Shared("baskets", "groceries.csv")).Where(l => l.Length > 0).Select(l => l.Split(',')).ToList();
        Assert.Equal(9835, baskets.Count);
        await RecordAsync(p, baskets.Select((items, i) => (IReadOnlyList<object>)[new
        {
            receiptId = "g" + i.ToString(CultureInfo.InvariantCulture), partner = "shop", store = "s1", currency = "EUR", anonymous = true,
            occurredAt = start.AddMinutes(i), total = items.Length * 1.00m,
            lines = items.Select(item => new { sku = item, category = item, quantity = 1m, unitPrice = 1.00m }).ToArray(),
        }]));

        var r = await GetAsync(p.Admin, "/api/v1/analytics/baskets/rules?minSupport=0.001&minConfidence=0.8&top=200");
        Assert.Equal((9835, 169, 10, 410), ((int)r["baskets"]!, (int)r["items"]!, (int)r["maxLength"]!, (int)r["ruleCount"]!));
        var rules = r["rules"]!.AsArray();
        Assert.Equal(200, rules.Count);
        Assert.Equal(["liquor", "red/blush wine"], Names(rules[0]!["if"]));
        Assert.Equal(["bottled beer"], Names(rules[0]!["then"]));
        Assert.Equal(11.235, (double)rules[0]!["lift"]!, 0.001);
        // The second-best lift belongs to a rule of five items (tied with others of the same lift, confidence and count).
        Assert.Equal(8.340, (double)rules[1]!["lift"]!, 0.001);
        Assert.Contains(rules.TakeWhile(x => Math.Abs((double)x!["lift"]! - 8.340) < 0.001 || x == rules[0]), x =>
            Names(x!["if"]).SequenceEqual(["citrus fruit", "fruit/vegetable juice", "other vegetables", "soda"]) && Names(x["then"]).SequenceEqual(["root vegetables"]));

        var four = await GetAsync(p.Admin, "/api/v1/analytics/baskets/rules?minSupport=0.001&minConfidence=0.8&top=200&maxLength=4");
        Assert.InRange((int)four["ruleCount"]!, 1, 409);
        Assert.DoesNotContain(four["rules"]!.AsArray(), x => x!["if"]!.AsArray().Count > 3);

        Assert.Equal("maxLength", (await ProblemAsync(p.Admin, "/api/v1/analytics/baskets/rules?maxLength=1")).Fields);
        Assert.Equal("maxLength", (await ProblemAsync(p.Admin, "/api/v1/analytics/baskets/rules?maxLength=21")).Fields);
    }

    [Fact]
    public async Task Mining_that_would_find_too_many_itemsets_is_refused_naming_the_support()
    {
        // Twelve baskets of 30 distinct items: at the lowest support every one of their subsets is frequent.
        var p = await server.NewProgrammeAsync();
        await RecordAsync(p, Enumerable.Range(0, 12).Select(b => (IReadOnlyList<object>)[new
        {
            receiptId = "wide" + b.ToString(CultureInfo.InvariantCulture), partner = "shop", store = "s1", currency = "EUR", anonymous = true,
            occurredAt = new DateTimeOffset(2025, 3, 1, 9, b, 0, TimeSpan.Zero), total = 30m,
            lines = Enumerable.Range(0, 30).Select(i => new { sku = $"item-{b % 3}-{i}", category = $"c-{b % 3}-{i}", quantity = 1m, unitPrice = 1m }).ToArray(),
        }]));
        var (fields, text) = await ProblemAsync(p.Admin, "/api/v1/analytics/baskets/rules?minSupport=0.0001&minConfidence=0.5&maxLength=20");
        Assert.Equal("minSupport", fields);
        Assert.Contains("too low", text);
    }

    /// <summary>The first <paramref name="customers"/> customers of the CDNOW log, each enrolled and buying on the log's days.</summary>
    private async Task<(TestProgramme P, DateOnly First, DateOnly Last, int Purchases)> CdnowStartAsync(int customers)
    {
        var p = await server.NewProgrammeAsync();
        var rows = File.ReadLines(Shared("cdnow", "CDNOW_master.txt")).Skip(1).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(f => f.Length == 4 && int.Parse(f[0], CultureInfo.InvariantCulture) <= customers)
            .Select((f, i) => (Customer: int.Parse(f[0], CultureInfo.InvariantCulture), Day: DateOnly.ParseExact(f[1], "yyyyMMdd", CultureInfo.InvariantCulture),
                Value: decimal.Parse(f[3], CultureInfo.InvariantCulture), Row: i)).ToList();
        var cards = new Dictionary<int, string>();
        foreach (var c in rows.Select(r => r.Customer).Distinct()) cards[c] = (await p.EnrolAsync($"Customer {c}")).Card;
        await RecordAsync(p, rows.Where(r => r.Value > 0).GroupBy(r => r.Customer).Select(g => (IReadOnlyList<object>)[.. g.Select(r => (object)new
        {
            receiptId = "cdnow-" + r.Row.ToString(CultureInfo.InvariantCulture), partner = "shop", store = "s1", currency = "EUR", cardNumber = cards[r.Customer],
            occurredAt = new DateTimeOffset(r.Day.ToDateTime(new TimeOnly(12, 0)), TimeSpan.Zero), total = r.Value,
            lines = new[] { new { sku = "cd", category = "music", quantity = 1m, unitPrice = r.Value } },
        })]));
        var bought = rows.Where(r => r.Value > 0).ToList();
        return (p, bought.Min(r => r.Day), bought.Max(r => r.Day), bought.Count);
    }

    [Fact]
    public async Task Reports_on_a_history_that_ended_years_ago_default_to_its_last_purchase()
    {
        var (p, first, last, purchases) = await CdnowStartAsync(150);
        var end = last.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        Assert.True(last.Year < 2000);

        // No date: as of the last purchase, not today (the server's clock says 2026).
        var holdout = await GetAsync(p.Admin, "/api/v1/analytics/clv/holdout");
        Assert.Equal(end, (string)holdout["holdoutEnd"]!);
        Assert.True((double)holdout["actualPurchases"]! > 0);
        Assert.Equal(end, (string)holdout["data"]!["lastPurchase"]!);
        Assert.Equal(first.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), (string)holdout["data"]!["firstPurchase"]!);
        var clv = await GetAsync(p.Admin, "/api/v1/analytics/clv");
        Assert.Equal(end, (string)clv["calibrationEnd"]!);
        Assert.Equal(end, (string)(await GetAsync(p.Admin, "/api/v1/analytics/rfm"))["asOf"]!);
        Assert.Equal(end, (string)(await GetAsync(p.Admin, "/api/v1/analytics/abc"))["asOf"]!);
        Assert.Equal(end, (string)(await GetAsync(p.Admin, "/api/v1/analytics/retention"))["asOf"]!);
        Assert.Equal(purchases, (int)(await GetAsync(p.Admin, "/api/v1/analytics/loyalty"))["members"]!["receipts"]!);
        var risk = await (await p.Admin.GetAsync("/api/v1/analytics/churn-risk?limit=200")).Content.ReadAsStringAsync();
        var riskAtEnd = await (await p.Admin.GetAsync($"/api/v1/analytics/churn-risk?limit=200&asOf={end}")).Content.ReadAsStringAsync();
        Assert.Equal(riskAtEnd, risk);
        Assert.NotEqual("[]", risk);

        // An explicit day is used as given.
        var early = await GetAsync(p.Admin, "/api/v1/analytics/clv?calibrationEnd=1997-09-30");
        Assert.Equal("1997-09-30", (string)early["calibrationEnd"]!);
        Assert.True((decimal)early["historicalValue"]! < (decimal)clv["historicalValue"]!);
        var riskEarly = await (await p.Admin.GetAsync("/api/v1/analytics/churn-risk?limit=200&asOf=1997-09-30")).Content.ReadAsStringAsync();
        Assert.NotEqual(risk, riskEarly);
        Assert.Equal("1997-09-30", (string)(await GetAsync(p.Admin, "/api/v1/analytics/rfm?asOf=1997-09-30"))["asOf"]!);
        Assert.InRange((int)(await GetAsync(p.Admin, "/api/v1/analytics/loyalty?asOf=1997-03-31"))["members"]!["receipts"]!, 1, purchases - 1);

        // After the data: the holdout is refused naming the field; RFM scores as of that day and shows where the data ends.
        var (fields, text) = await ProblemAsync(p.Admin, "/api/v1/analytics/clv/holdout?holdoutEnd=2020-01-01");
        Assert.Equal("holdoutEnd", fields);
        Assert.Contains($"after the last recorded purchase ({end})", text);
        var late = await GetAsync(p.Admin, "/api/v1/analytics/rfm?asOf=2020-01-01");
        Assert.Equal(150, (int)late["scoredCustomers"]!);
        Assert.Equal(end, (string)late["data"]!["lastPurchase"]!);

        // Before the data: the models say why they cannot be fitted.
        var (beforeFields, beforeText) = await ProblemAsync(p.Admin, "/api/v1/analytics/churn-risk?asOf=1990-01-01");
        Assert.Equal("asOf", beforeFields);
        Assert.Contains("no purchase was recorded by 1990-01-01", beforeText);

        // A day out of range, or no day at all, is a 400 naming the field.
        foreach (var report in new[] { "abc", "rfm", "retention", "loyalty", "churn-risk" })
        {
            Assert.Equal("asOf", (await ProblemAsync(p.Admin, $"/api/v1/analytics/{report}?asOf=1800-01-01")).Fields);
            Assert.Contains("asOf", (await ProblemAsync(p.Admin, $"/api/v1/analytics/{report}?asOf=yesterday")).Text);
        }
        Assert.Equal("calibrationEnd", (await ProblemAsync(p.Admin, "/api/v1/analytics/clv?calibrationEnd=1800-01-01")).Fields);
    }
}

public sealed class ReportsOnDataTestsOnSqlite(SqliteServer server) : ReportsOnDataTests(server), IClassFixture<SqliteServer>;

public sealed class ReportsOnDataTestsOnPostgres(PostgresServer server) : ReportsOnDataTests(server), IClassFixture<PostgresServer>;
