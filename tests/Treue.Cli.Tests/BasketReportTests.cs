using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Treue.Cli.Tests.Infrastructure;

namespace Treue.Cli.Tests;

/// <summary>
/// <c>treue report baskets</c> on the arules Groceries set, imported as a user imports it: written as Treue's purchase
/// CSV (one anonymous receipt per basket, one line per item) and read by <c>treue import purchases --bulk</c>.
/// </summary>
public sealed class BasketReportTests(ITestOutputHelper output)
{
    /// <summary>The Groceries baskets as a purchase CSV, one receipt a basket, a minute apart, in 2024.</summary>
    private static string GroceriesCsv(TestCli cli)
    {
        var csv = new StringBuilder("receipt_id,occurred_at,sku,category,quantity,unit_price\n");
        var start = new DateTime(2024, 1, 1, 8, 0, 0, DateTimeKind.Utc);
        var n = 0;
        foreach (var line in File.ReadLines(SharedData.Baskets("groceries.csv")).Where(l => l.Length > 0))
        {
            n++;
            var at = start.AddMinutes(n).ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
            foreach (var item in line.Split(','))
                csv.Append(CultureInfo.InvariantCulture, $"g{n},{at},{item},{item},1,1.00\n");
        }
        Assert.Equal(9835, n);
        return cli.Write("groceries-purchases.csv", csv.ToString());
    }

    [Fact]
    public async Task Groceries_gives_the_410_published_rules_with_the_published_best_rules()
    {
        using var cli = new TestCli();
        await cli.SucceedAsync("programme", "apply", cli.Write("shop.json", Programmes.Shop));
        await cli.SucceedAsync("import", "purchases", GroceriesCsv(cli), "--programme", "shop", "--bulk");
        var reports = Path.Combine(cli.Folder, "reports");

        async Task<(JsonObject Report, CliRun Run)> BasketsAsync(params string[] args)
        {
            var clock = Stopwatch.StartNew();
            var run = await cli.SucceedAsync(["report", "baskets", "--programme", "shop", "--min-support", "0.001", "--min-confidence", "0.8",
                "--top", "1000", "--out", reports, "--format", "json", .. args]);
            output.WriteLine($"treue report baskets {string.Join(' ', args)}: {clock.Elapsed.TotalSeconds:N1} s\n{run.Out}");
            return (JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(reports, "baskets.json")))!.AsObject(), run);
        }

        var (r, run) = await BasketsAsync();
        Assert.Equal(9835, (int)r["baskets"]!);
        Assert.Equal(169, (int)r["items"]!);
        Assert.Equal(10, (int)r["maxLength"]!);
        Assert.Equal(410, (int)r["ruleCount"]!);
        var rules = r["rules"]!.AsArray();
        Assert.Equal(410, rules.Count);
        static string[] Names(JsonNode? n) => [.. n!.AsArray().Select(x => (string)x!).Order(StringComparer.Ordinal)];
        Assert.Equal(["liquor", "red/blush wine"], Names(rules[0]!["if"]));
        Assert.Equal(["bottled beer"], Names(rules[0]!["then"]));
        Assert.Equal(11.235, (double)rules[0]!["lift"]!, 0.001);
        Assert.Equal(19, (int)rules[0]!["baskets"]!);
        // The second-best rule has five items: mining itemsets of four at most loses it.
        // The second-best lift belongs to a rule of five items (tied with others of the same lift, confidence and count).
        Assert.Equal(8.340, (double)rules[1]!["lift"]!, 0.001);
        Assert.Contains(rules.TakeWhile(x => Math.Abs((double)x!["lift"]! - 8.340) < 0.001 || x == rules[0]), x =>
            Names(x!["if"]).SequenceEqual(["citrus fruit", "fruit/vegetable juice", "other vegetables", "soda"]) && Names(x["then"]).SequenceEqual(["root vegetables"]));
        Assert.All(rules, x => Assert.True((double)x!["confidence"]! >= 0.8 && (int)x["baskets"]! >= 10));
        Assert.Contains("410 rules", run.Out);

        // A shorter maximum is still available, and says what it cut.
        var (four, _) = await BasketsAsync("--max-length", "4");
        Assert.Equal(4, (int)four["maxLength"]!);
        Assert.InRange((int)four["ruleCount"]!, 1, 409);
        Assert.DoesNotContain(four["rules"]!.AsArray(), x => x!["if"]!.AsArray().Count > 3);
        Assert.Equal(Names(rules[0]!["if"]), Names(four["rules"]![0]!["if"]));
        Assert.True((double)four["rules"]![1]!["lift"]! < 8.3, "the five-item rules of lift 8.340 need itemsets of five");

        foreach (var bad in new[] { "1", "21" })
        {
            var refused = await cli.RunAsync("report", "baskets", "--programme", "shop", "--max-length", bad, "--out", reports);
            Assert.Equal(2, refused.ExitCode);
            Assert.Contains("--max-length", refused.Error);
        }
    }
}
