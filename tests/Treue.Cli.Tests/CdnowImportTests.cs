using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Treue.Analytics.Clv;
using Treue.Cli.Tests.Infrastructure;

namespace Treue.Cli.Tests;

public sealed class CdnowImportTests(ITestOutputHelper output)
{
    private const int Customers = 23_570;
    private const int Rows = 69_659;
    private const long TotalCents = 250_031_563;

    /// <summary>One row of the CDNOW log as the test reads it, independently of the importer.</summary>
    private sealed record Row(int Number, int Customer, DateOnly Date, int Cds, decimal Value);

    [Fact]
    public async Task Importing_the_cdnow_log_enrols_every_customer_and_each_purchase_earns_what_the_rules_say()
    {
        var file = Path.Combine(SharedData.Cdnow(), "CDNOW_master.txt");
        Assert.True(File.Exists(file), $"{file} is missing.");
        var rows = Read(file);
        Assert.Equal(Rows, rows.Count);
        var ct = TestContext.Current.CancellationToken;
        using var cli = new TestCli();
        await cli.SucceedAsync("programme", "apply", cli.Write("cdnow.json", Programmes.Cdnow));

        var clock = Stopwatch.StartNew();
        var run = await cli.RunAsync("import", "purchases", file, "--programme", "cdnow", "--format", "cdnow");
        clock.Stop();
        output.WriteLine($"CDNOW import: {Rows:N0} purchases of {Customers:N0} customers in {clock.Elapsed.TotalSeconds:N1} s " +
            $"({Rows / clock.Elapsed.TotalSeconds:N0} purchases/s).");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(Rows, Report.Count(run, "New"));
        Assert.Equal(Customers, Report.Count(run, "Members enrolled"));

        await using var db = cli.Db();
        db.Database.SetCommandTimeout(TimeSpan.FromMinutes(5));
        Assert.Equal(Customers, await db.Members.CountAsync(ct));
        Assert.Equal(Rows, await db.Purchases.CountAsync(ct));
        Assert.Equal(Rows, await db.PurchaseLines.CountAsync(ct));
        Assert.Equal(TotalCents, await db.Purchases.SumAsync(p => p.TotalMinor, ct));
        Assert.Equal(TotalCents, await db.PurchaseLines.SumAsync(l => l.NetMinor, ct));

        // Each customer joined on their first purchase.
        var joined = rows.GroupBy(r => r.Customer).ToDictionary(g => "cdnow-" + g.Key.ToString(CultureInfo.InvariantCulture), g => g.Min(r => r.Date));
        var members = await db.Members.AsNoTracking().Select(m => new { m.ExternalRef, m.EnrolledAt, m.PurchaseCount }).ToListAsync(ct);
        Assert.Equal(joined.Keys.Order(), members.Select(m => m.ExternalRef!).Order());
        Assert.All(members, m => Assert.Equal(joined[m.ExternalRef!].ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc), m.EnrolledAt));
        Assert.Equal(Rows, members.Sum(m => m.PurchaseCount));

        // What each purchase must earn, recomputed from the rules: 1 point per whole dollar, the Saturday rule
        // adds floor(2 × value) (3x the base), and each customer's first purchase earns a 50-point welcome bonus.
        var firstRow = rows.GroupBy(r => r.Customer).Select(g => g.Min(r => r.Number)).ToHashSet();
        var expected = rows.ToDictionary(
            r => $"cdnow-{r.Customer.ToString(CultureInfo.InvariantCulture)}-{r.Number.ToString(CultureInfo.InvariantCulture)}",
            r => (long)decimal.Floor(r.Value)
                + (r.Date.DayOfWeek == DayOfWeek.Saturday ? (long)decimal.Floor(2 * r.Value) : 0)
                + (firstRow.Contains(r.Number) ? 50 : 0));
        var earned = await db.Purchases.AsNoTracking().Select(p => new { p.ReceiptId, p.PointsEarned, p.TotalMinor }).ToListAsync(ct);
        var wrong = earned.Where(p => expected.GetValueOrDefault(p.ReceiptId, -1) != p.PointsEarned)
            .Select(p => $"{p.ReceiptId}: earned {p.PointsEarned}, expected {expected.GetValueOrDefault(p.ReceiptId, -1)}").Take(10).ToList();
        Assert.True(wrong.Count == 0, "Purchases earned other points than the rules say:\n" + string.Join('\n', wrong));
        var values = rows.ToDictionary(r => $"cdnow-{r.Customer.ToString(CultureInfo.InvariantCulture)}-{r.Number.ToString(CultureInfo.InvariantCulture)}", r => r.Value);
        Assert.All(earned, p => Assert.Equal(values[p.ReceiptId] * 100, p.TotalMinor));
        var saturdays = rows.Count(r => r.Date.DayOfWeek == DayOfWeek.Saturday);
        output.WriteLine($"{saturdays:N0} Saturday purchases; {expected.Values.Sum():N0} points expected and earned.");
        Assert.Equal(expected.Values.Sum(), await db.Members.SumAsync(m => m.Available + m.Pending, ct));
        await Ledger.AssertConsistentAsync(db);

        // Importing the start of the same log again finds those purchases and adds nothing.
        var start = cli.Write("cdnow-start.txt", string.Join('\n', File.ReadLines(file).Take(1 + 500)));
        var again = await cli.RunAsync("import", "purchases", start, "--programme", "cdnow", "--format", "cdnow");
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Equal((0, 500, 0), (Report.Count(again, "New"), Report.Count(again, "Already there"), Report.Count(again, "Members enrolled")));
        Assert.Equal(Rows, await db.Purchases.CountAsync(ct));

        await ReportsOnTheImportedLogAsync(cli, file, rows);
    }

    /// <summary>
    /// The analytics reports on the imported log: what they read back through storage must agree with the log itself,
    /// and the model fitted through storage must be the one fitted to the file directly.
    /// </summary>
    private async Task ReportsOnTheImportedLogAsync(TestCli cli, string file, List<Row> rows)
    {
        var reports = Path.Combine(cli.Folder, "reports");
        async Task<JsonObject> Json(string name, params string[] args)
        {
            var clock = Stopwatch.StartNew();
            var run = await cli.SucceedAsync(["report", name, "--programme", "cdnow", "--out", reports, "--format", "json", .. args]);
            output.WriteLine($"treue report {name}: {clock.Elapsed.TotalSeconds:N1} s\n{run.Out}");
            return JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(reports, name + ".json")))!.AsObject();
        }

        var abc = await Json("abc");
        Assert.Equal(Customers, (int)abc["customers"]!);
        Assert.Equal(TotalCents / 100m, (decimal)abc["totalRevenue"]!);
        Assert.Equal(Customers, abc["classes"]!.AsArray().Sum(c => (int)c!["customers"]!));

        var rfm = await Json("rfm", "--as-of", "1998-06-30", "--previous", "1997-09-30");
        Assert.Equal(Customers, (int)rfm["scoredCustomers"]!);
        Assert.Equal(Customers, rfm["segments"]!.AsArray().Sum(s => (int)s!["customers"]!));

        var calibrationEnd = new DateOnly(1997, 9, 30);
        var clv = await Json("clv", "--calibration-end", "1997-09-30", "--horizon-months", "12");
        var direct = BgNbd.Fit(CalibrationSummary.Build(CdnowFile.Read(file).Events, calibrationEnd).Customers).Parameters;
        var fitted = clv["parameters"]!;
        Assert.Equal(direct.R, (double)fitted["r"]!, 1e-6);
        Assert.Equal(direct.Alpha, (double)fitted["alpha"]!, 1e-4);
        Assert.Equal(direct.A, (double)fitted["a"]!, 1e-6);
        Assert.Equal(direct.B, (double)fitted["b"]!, 1e-5);
        Assert.Equal(Customers, (int)clv["customers"]!);
        Assert.Equal(rows.Where(r => r.Date <= calibrationEnd).Sum(r => r.Value), (decimal)clv["historicalValue"]!);

        var holdout = await Json("holdout", "--calibration-end", "1997-09-30", "--holdout-end", "1998-06-30");
        // Actual holdout purchases are distinct purchase days after the calibration end, counted here from the log.
        var holdoutDays = rows.Where(r => r.Date > calibrationEnd).Select(r => (r.Customer, r.Date)).Distinct().Count();
        Assert.Equal(holdoutDays, (double)holdout["actualPurchases"]!, 6);
        Assert.InRange((double)holdout["predictedPurchases"]! / holdoutDays, 0.8, 1.2);

        var retention = await Json("retention");
        Assert.Equal(Customers, retention["cohorts"]!.AsArray().Sum(c => (int)c!["size"]!));
        Assert.Equal(3, retention["cohorts"]!.AsArray().Count); // CDNOW's customers all first bought in the first quarter of 1997

        // An imported log brings no consents: nobody consented to profiling, so the list names no one and says why.
        var churn = await cli.SucceedAsync("report", "churn-risk", "--programme", "cdnow", "--out", reports);
        Assert.Single(File.ReadLines(Path.Combine(reports, "churn-risk.csv")));
        Assert.Contains($"{Customers:N0} members did not consent to profiling", churn.Out, StringComparison.Ordinal);
        await cli.SucceedAsync("report", "economics", "--programme", "cdnow", "--out", reports);
        Assert.True(File.Exists(Path.Combine(reports, "economics-points.svg")));
    }

    [Fact]
    public async Task The_cdnow_format_needs_a_programme_in_us_dollars()
    {
        using var cli = new TestCli();
        await cli.SucceedAsync("programme", "apply", cli.Write("shop.json", Programmes.Shop));
        var file = cli.Write("cdnow.txt", " 00001 19970101  1   11.77\n");

        var run = await cli.RunAsync("import", "purchases", file, "--programme", "shop", "--format", "cdnow");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("US dollars", run.Error);
    }

    [Fact]
    public async Task A_cdnow_row_is_one_line_worth_exactly_its_dollar_value_and_bad_rows_are_named()
    {
        using var cli = new TestCli();
        await cli.SucceedAsync("programme", "apply", cli.Write("cdnow.json", Programmes.Cdnow));
        var file = cli.Write("cdnow.txt", """
             customer_id  date number_of_cds  dollar_value
             00004 19970101  2   29.33
             00004 19970118  3   10.00
             00005 19970102  0    7.50
             00006 1997011x  1   11.77
             00007 19970103  1
            """);

        var run = await cli.RunAsync("import", "purchases", file, "--programme", "cdnow", "--format", "cdnow");

        Assert.Equal(2, run.ExitCode);
        Assert.Equal(3, Report.Count(run, "New"));
        Assert.Contains("line 5, date: '1997011x'", run.Error);
        Assert.Contains("line 6, row: has 3 columns", run.Error);
        var ct = TestContext.Current.CancellationToken;
        await using var db = cli.Db();
        var lines = await db.PurchaseLines.AsNoTracking().Join(db.Purchases, l => l.PurchaseId, p => p.Id, (l, p) => new { p.ReceiptId, l })
            .ToDictionaryAsync(x => x.ReceiptId, x => x.l, ct);
        // 29.33 for two CDs: 14.67 each, less a cent.
        Assert.Equal((2m, 1467L, 1L, 2933L), (lines["cdnow-4-1"].Quantity, lines["cdnow-4-1"].UnitPriceMinor, lines["cdnow-4-1"].DiscountMinor, lines["cdnow-4-1"].NetMinor));
        // 10.00 for three CDs: 3.34 each, less two cents.
        Assert.Equal((3m, 334L, 2L, 1000L), (lines["cdnow-4-2"].Quantity, lines["cdnow-4-2"].UnitPriceMinor, lines["cdnow-4-2"].DiscountMinor, lines["cdnow-4-2"].NetMinor));
        // A row without CDs is one unit at the whole value.
        Assert.Equal((1m, 750L, 0L), (lines["cdnow-5-3"].Quantity, lines["cdnow-5-3"].UnitPriceMinor, lines["cdnow-5-3"].DiscountMinor));
        Assert.All(lines.Values, l => Assert.Equal(("cd", "music"), (l.Sku, l.Category)));
    }

    private static List<Row> Read(string file)
    {
        var rows = new List<Row>();
        foreach (var line in File.ReadLines(file).Skip(1))
        {
            var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (f.Length == 0) continue;
            rows.Add(new Row(rows.Count + 1, int.Parse(f[0], CultureInfo.InvariantCulture),
                DateOnly.ParseExact(f[1], "yyyyMMdd", CultureInfo.InvariantCulture),
                int.Parse(f[2], CultureInfo.InvariantCulture), decimal.Parse(f[3], CultureInfo.InvariantCulture)));
        }
        return rows;
    }
}
