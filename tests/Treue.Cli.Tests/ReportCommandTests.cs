using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Treue.Cli.Tests.Infrastructure;

namespace Treue.Cli.Tests;

public sealed class ReportCommandTests
{
    private static readonly string[] Reports = ["economics", "loyalty", "what-if", "abc", "rfm", "clv", "holdout", "churn-risk", "retention", "baskets"];

    [Fact]
    public async Task Every_report_runs_on_the_demo_and_writes_tables_and_charts()
    {
        using var cli = new TestCli();
        await cli.SucceedAsync("demo", "--members", "300");
        var ct = TestContext.Current.CancellationToken;
        var outFolder = Path.Combine(cli.Folder, "out");
        foreach (var report in Reports)
        {
            var run = await cli.SucceedAsync("report", report, "--programme", "demo", "--out", outFolder);
            var written = run.Out.Split('\n').Where(l => l.StartsWith("Wrote ", StringComparison.Ordinal)).Select(l => l[6..].Trim()).ToList();
            Assert.Contains(written, p => p.EndsWith(".csv", StringComparison.Ordinal));
            Assert.All(written, p => Assert.True(new FileInfo(p).Length > 0, p));
            foreach (var svg in written.Where(p => p.EndsWith(".svg", StringComparison.Ordinal)))
            {
                var text = await File.ReadAllTextAsync(svg, ct);
                Assert.StartsWith("<svg", text);
                Assert.True(text.Contains("<rect", StringComparison.Ordinal) || text.Contains("<path", StringComparison.Ordinal), svg);
            }
        }

        // The tables say what the database says.
        await using var db = cli.Db();
        var revenue = await db.Purchases.Where(p => p.MemberId != null).SumAsync(p => p.TotalMinor - p.ReturnedMinor, ct) / 100m;
        var classes = (await File.ReadAllLinesAsync(Path.Combine(outFolder, "abc-classes.csv"), ct)).Skip(1).Select(l => l.Split(',')).ToList();
        Assert.Equal(["A", "B", "C"], classes.Select(c => c[0].ToUpperInvariant()));
        Assert.Equal(revenue, classes.Sum(c => decimal.Parse(c[3], CultureInfo.InvariantCulture)));
        var buyers = await db.Purchases.Where(p => p.MemberId != null).Select(p => p.MemberId).Distinct().CountAsync(ct);
        // The member list names only buyers who consented to profiling (the demo's members gave or refused it once, at
        // enrolment); the classes count every buyer.
        var profiled = await db.Purchases.Where(p => p.MemberId != null && db.ConsentRecords.Any(r => r.MemberId == p.MemberId
                && r.Purpose == Treue.Storage.Entities.ConsentPurpose.Profiling && r.Change == Treue.Storage.Entities.ConsentChange.Granted))
            .Select(p => p.MemberId).Distinct().CountAsync(ct);
        Assert.InRange(profiled, 1, buyers - 1);
        Assert.Equal(profiled, (await File.ReadAllLinesAsync(Path.Combine(outFolder, "rfm-members.csv"), ct)).Length - 1);
        Assert.Equal(buyers, classes.Sum(c => int.Parse(c[1], CultureInfo.InvariantCulture)));
    }

    [Fact]
    public async Task Json_output_and_a_what_if_proposal_from_a_file()
    {
        using var cli = new TestCli();
        await cli.SucceedAsync("demo", "--members", "100");
        var outFolder = Path.Combine(cli.Folder, "out");
        // The demo is a year of activity up to now.
        var from = DateOnly.FromDateTime(DateTime.UtcNow.AddDays(-400)).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var to = DateOnly.FromDateTime(DateTime.UtcNow.AddDays(1)).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var same = await cli.SucceedAsync("report", "what-if", "--programme", "demo", "--out", outFolder, "--format", "json", "--from", from, "--to", to);
        var actual = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(outFolder, "what-if.json")))!["result"]!;
        // Replaying the rules in force reproduces what was really issued.
        Assert.Equal((long)actual["actualPoints"]!, (long)actual["simulatedPoints"]!);
        Assert.True((long)actual["purchases"]! > 0, same.Out);
        Assert.Contains(actual["rules"]!.AsArray(), r => ((string)r!["rule"]!).StartsWith("tier:", StringComparison.Ordinal));

        // A list of rules replaces the programme's rules; with none, purchases earn the base rate alone.
        async Task<JsonNode> ReplayAsync(string rulesJson)
        {
            await cli.SucceedAsync("report", "what-if", "--programme", "demo", "--out", outFolder, "--format", "json",
                "--rules", cli.Write("rules.json", rulesJson), "--from", from, "--to", to);
            return JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(outFolder, "what-if.json")))!["result"]!;
        }
        var baseOnly = await ReplayAsync("[]");
        var doubled = await ReplayAsync("""
            [ { "code": "all-x2", "name": "Double points on everything", "priority": 50, "stacking": "stack",
                "conditions": {}, "effect": { "kind": "multiplier", "value": 2 } } ]
            """);
        // Rounding down the base and the rule's extra separately makes the rule's extra exactly the base points. The
        // demo's Silver and Gold members' multipliers come on top, as recorded on each purchase.
        static long RulePoints(JsonNode result, string rule) =>
            (long)result["rules"]!.AsArray().Single(r => (string)r!["rule"]! == rule)!["points"]!;
        Assert.Equal(RulePoints(baseOnly, "base"), RulePoints(doubled, "base"));
        Assert.Equal(RulePoints(doubled, "base"), RulePoints(doubled, "all-x2"));
        Assert.Equal((long)actual["actualPoints"]!, (long)doubled["actualPoints"]!);
        var rules = doubled["rules"]!.AsArray().Select(r => (string)r!["rule"]!).ToList();
        Assert.Equal(["all-x2", "base"], rules.Where(r => !r.StartsWith("tier:", StringComparison.Ordinal)).Order());
        Assert.Contains("tier:silver", rules);
        Assert.True(RulePoints(doubled, "tier:silver") > RulePoints(baseOnly, "tier:silver"), "The multiplier multiplies the doubled points");
    }

    [Fact]
    public async Task A_what_if_with_a_campaign_gives_its_cost_on_the_periods_baskets()
    {
        using var cli = new TestCli();
        await cli.SucceedAsync("demo", "--members", "60");
        var outFolder = Path.Combine(cli.Folder, "out");
        var from = DateOnly.FromDateTime(DateTime.UtcNow.AddDays(-400)).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var to = DateOnly.FromDateTime(DateTime.UtcNow.AddDays(1)).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var run = await cli.SucceedAsync("report", "what-if", "--programme", "demo", "--out", outFolder, "--format", "json",
            "--from", from, "--to", to, "--campaign", "welcome10");
        var campaign = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(outFolder, "what-if.json")))!["campaign"]!;
        Assert.Equal("welcome10", (string)campaign["campaignId"]!);
        // The demo's welcome coupon is 10 % off once per member: every member who bought in the period uses it once, on
        // their first basket of the period.
        var redemptions = (long)campaign["redemptions"]!;
        Assert.True(redemptions > 0, run.Out);
        Assert.Equal((long)campaign["members"]!, redemptions);
        var discount = (decimal)campaign["discount"]!;
        Assert.True(discount > 0 && discount < 0.1m * (decimal)campaign["revenue"]!, $"discount {discount}");
        Assert.Equal(discount, campaign["months"]!.AsArray().Sum(m => (decimal)m!["discount"]!));
        Assert.Contains("Campaign welcome10", run.Out, StringComparison.Ordinal);

        // CSV: a table of the campaign per month next to the points.
        await cli.SucceedAsync("report", "what-if", "--programme", "demo", "--out", outFolder, "--from", from, "--to", to, "--campaign", "welcome10");
        var rows = (await File.ReadAllLinesAsync(Path.Combine(outFolder, "what-if-campaign.csv"), TestContext.Current.CancellationToken)).Skip(1).ToList();
        Assert.Equal(discount, rows.Sum(r => decimal.Parse(r.Split(',')[2], CultureInfo.InvariantCulture)));

        var unknown = await cli.RunAsync("report", "what-if", "--programme", "demo", "--campaign", "no-such-campaign");
        Assert.Equal(2, unknown.ExitCode);
        Assert.Contains("--campaign", unknown.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bad_report_options_name_the_option()
    {
        using var cli = new TestCli();
        await cli.SucceedAsync("demo", "--members", "20");
        var bad = await cli.RunAsync("report", "clv", "--programme", "demo", "--horizon-months", "0");
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("--horizon-months", bad.Error);
        var model = await cli.RunAsync("report", "clv", "--programme", "demo", "--model", "magic");
        Assert.Contains("--model", model.Error);
        var abc = await cli.RunAsync("report", "abc", "--programme", "demo", "--a", "2");
        Assert.Contains("--a", abc.Error);
        var rules = await cli.RunAsync("report", "what-if", "--programme", "demo", "--rules", cli.Write("bad.json", "{ not json"));
        Assert.Equal(2, rules.ExitCode);
        var missing = await cli.RunAsync("report", "abc", "--programme", "nope");
        Assert.Contains("no programme 'nope'", missing.Error);
    }
}
