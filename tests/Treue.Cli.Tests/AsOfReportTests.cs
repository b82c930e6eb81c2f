using System.Globalization;
using System.Text.Json.Nodes;
using Treue.Cli.Tests.Infrastructure;

namespace Treue.Cli.Tests;

/// <summary>
/// Reports on a history that ended decades ago (the first 300 customers of the CDNOW log, 1997–1998): without a date
/// they are made as of the last recorded purchase, not as of today.
/// </summary>
public sealed class AsOfReportTests
{
    private sealed record Log(string File, DateOnly First, DateOnly Last, int Rows);

    private static Log FirstCustomers(TestCli cli, int customers)
    {
        var lines = File.ReadLines(Path.Combine(SharedData.Cdnow(), "CDNOW_master.txt")).Skip(1)
            .Where(l => l.Trim().Length > 0 && int.Parse(l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[0], CultureInfo.InvariantCulture) <= customers)
            .ToList();
        var days = lines.Select(l => DateOnly.ParseExact(l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], "yyyyMMdd", CultureInfo.InvariantCulture)).ToList();
        return new Log(cli.Write("cdnow-start.txt", string.Join('\n', lines)), days.Min(), days.Max(), lines.Count);
    }

    private static string Day(DateOnly d) => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    [Fact]
    public async Task Reports_default_to_the_last_purchase_take_an_as_of_day_and_say_why_they_are_empty()
    {
        using var cli = new TestCli();
        await cli.SucceedAsync("programme", "apply", cli.Write("cdnow.json", Programmes.Cdnow));
        var log = FirstCustomers(cli, 300);
        await cli.SucceedAsync("import", "purchases", log.File, "--programme", "cdnow", "--format", "cdnow");
        Assert.True(log.Last < new DateOnly(1999, 1, 1));
        var reports = Path.Combine(cli.Folder, "reports");

        async Task<(JsonNode Report, CliRun Run)> Json(string name, params string[] args)
        {
            var run = await cli.SucceedAsync(["report", name, "--programme", "cdnow", "--out", reports, "--format", "json", .. args]);
            return (JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(reports, name + ".json")))!, run);
        }

        // No date: as of the last purchase, which every report names.
        var (holdout, holdoutRun) = await Json("holdout");
        Assert.Equal(Day(log.Last), (string)holdout["holdoutEnd"]!);
        Assert.True((double)holdout["actualPurchases"]! > 0, holdoutRun.Out);
        Assert.Equal(Day(log.Last), (string)holdout["data"]!["lastPurchase"]!);
        Assert.Contains($"As of {Day(log.Last)}", holdoutRun.Out);
        var (clv, _) = await Json("clv");
        Assert.Equal(Day(log.Last), (string)clv["calibrationEnd"]!);
        var (rfm, _) = await Json("rfm");
        Assert.Equal(Day(log.Last), (string)rfm["asOf"]!);
        Assert.Equal(300, (int)rfm["scoredCustomers"]!);
        var (abc, _) = await Json("abc");
        Assert.Equal(Day(log.Last), (string)abc["asOf"]!);
        var (retention, _) = await Json("retention");
        Assert.Equal(Day(log.Last), (string)retention["asOf"]!);
        // The churn month is the last complete month before the data ends, not last month.
        Assert.True(DateOnly.Parse((string)retention["churn"]!["month"]!, CultureInfo.InvariantCulture) < log.Last);
        var (_, churnRun) = await Json("churn-risk");
        Assert.Contains($"As of {Day(log.Last)}", churnRun.Out);
        var (loyalty, _) = await Json("loyalty");
        Assert.Equal(log.Rows, (long)loyalty["members"]!["receipts"]!);

        // An explicit day is used as given.
        var (early, _) = await Json("clv", "--as-of", "1997-09-30");
        Assert.Equal("1997-09-30", (string)early["calibrationEnd"]!);
        Assert.True((decimal)early["historicalValue"]! < (decimal)clv["historicalValue"]!);
        var (earlyLoyalty, _) = await Json("loyalty", "--as-of", "1997-03-31");
        Assert.InRange((long)earlyLoyalty["members"]!["receipts"]!, 1, log.Rows - 1);
        var (_, earlyChurn) = await Json("churn-risk", "--as-of", "1997-09-30");
        Assert.Contains("As of 1997-09-30", earlyChurn.Out);
        var (earlyRfm, _) = await Json("rfm", "--as-of", "1997-09-30");
        Assert.Equal("1997-09-30", (string)earlyRfm["asOf"]!);

        // After the data: the holdout refuses (it would count days without data as days without purchases) and names
        // the option; the other reports compute as of that day and say that the data ends before it.
        var late = await cli.RunAsync("report", "holdout", "--programme", "cdnow", "--holdout-end", "2020-01-01", "--out", reports);
        Assert.Equal(2, late.ExitCode);
        Assert.Contains("--holdout-end", late.Error);
        Assert.Contains($"after the last recorded purchase ({Day(log.Last)})", late.Error);
        var (lateRfm, lateRun) = await Json("rfm", "--as-of", "2020-01-01");
        Assert.Equal(300, (int)lateRfm["scoredCustomers"]!);
        Assert.Contains($"after the last recorded purchase ({Day(log.Last)})", lateRun.Out);

        // Before the data: an empty answer that says why.
        var (none, noneRun) = await Json("abc", "--as-of", "1990-01-01");
        Assert.Equal(0, (int)none["customers"]!);
        Assert.Contains($"Nothing to report: no purchase was recorded by 1990-01-01; the recorded purchases run from {Day(log.First)} to {Day(log.Last)}", noneRun.Out);
        var tooEarly = await cli.RunAsync("report", "clv", "--programme", "cdnow", "--calibration-end", "1990-01-01", "--out", reports);
        Assert.Equal(2, tooEarly.ExitCode);
        Assert.Contains("no purchase was recorded by 1990-01-01", tooEarly.Error);

        // Days out of range and text that is no day are refused, naming the option.
        foreach (var report in new[] { "abc", "rfm", "retention", "loyalty", "churn-risk", "clv" })
        {
            // For clv, --as-of is another name of --calibration-end.
            var option = report == "clv" ? "--calibration-end" : "--as-of";
            var bad = await cli.RunAsync("report", report, "--programme", "cdnow", "--as-of", "1800-01-01", "--out", reports);
            Assert.Equal(2, bad.ExitCode);
            Assert.Contains(option, bad.Error);
            var text = await cli.RunAsync("report", report, "--programme", "cdnow", "--as-of", "yesterday", "--out", reports);
            Assert.NotEqual(0, text.ExitCode);
            Assert.Contains(option, text.Error + text.Out);
        }
    }
}
