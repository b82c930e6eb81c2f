using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Treue.Cli.Reports;
using Treue.Domain.Earning;
using Treue.Server.Features.Analytics;
using Treue.Server.Features.Programmes;
using Treue.Storage;

namespace Treue.Cli.Commands;

/// <summary>
/// <c>treue report ...</c>: the analytics of a programme as tables (CSV or JSON) and charts (SVG), computed by the
/// same service the API and the console use.
/// </summary>
internal static partial class ReportCommand
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    private sealed record Common(Option<string> Programme, Option<string> Out, Option<string> Format);

    private delegate Task<ReportOutput> Build(AnalyticsService analytics, Guid programmeId, ParseResult parse, CancellationToken ct);

    public static Command Create(CliContext cli)
    {
        var command = new Command("report", "Analyse a programme: tables as CSV or JSON and charts as SVG, written to a folder");
        foreach (var report in Reports(cli)) command.Subcommands.Add(report);
        return command;
    }

    private static IEnumerable<Command> Reports(CliContext cli)
    {
        yield return Report(cli, "economics", "Points liability, expected breakage, redemption rate and reward cost per month", [], Economics);
        var loyaltyAsOf = AsOf("Last day whose receipts count");
        yield return Report(cli, "loyalty", "Cross-buying, members against anonymous buyers, revenue around enrolment", [loyaltyAsOf],
            (analytics, id, parse, ct) => Loyalty(analytics, id, parse.GetValue(loyaltyAsOf), ct));
        yield return WhatIfReport(cli);
        foreach (var customer in CustomerReports(cli)) yield return customer;
    }

    private static Command Report(CliContext cli, string name, string description, Option[] options, Build build)
    {
        var common = new Common(
            new Option<string>("--programme") { Description = "The programme's code", HelpName = "CODE", Required = true },
            new Option<string>("--out") { Description = "Folder to write the files to", HelpName = "DIR", DefaultValueFactory = _ => "reports" },
            new Option<string>("--format") { Description = "Tables as csv (one file per table) or json (the whole report)", HelpName = "csv|json", DefaultValueFactory = _ => "csv" });
        common.Format.AcceptOnlyFromAmong("csv", "json");
        var command = new Command(name, description) { common.Programme, common.Out, common.Format };
        foreach (var o in options) command.Options.Add(o);
        command.SetAction((parse, ct) => cli.WithServicesAsync(parse, async services =>
        {
            var db = services.GetRequiredService<TreueDb>();
            var programme = await CliContext.ProgrammeAsync(db, parse.GetRequiredValue(common.Programme), ct);
            var output = await build(services.GetRequiredService<AnalyticsService>(), programme.Id, parse, ct);
            foreach (var line in output.Summary) cli.Terminal.Say(line);
            var written = await ReportWriter.WriteAsync(output, name, parse.GetRequiredValue(common.Out), parse.GetRequiredValue(common.Format), ct);
            foreach (var path in written) cli.Terminal.Say("Wrote " + path);
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static string Month(DateOnly m) => m.ToString("yyyy-MM", Inv);

    private static string Pct(double? v) => v is { } x ? x.ToString("P1", Inv) : "n/a";

    private static async Task<ReportOutput> Economics(AnalyticsService analytics, Guid programmeId, ParseResult parse, CancellationToken ct)
    {
        var r = await analytics.EconomicsAsync(programmeId, ct);
        var labels = r.Months.Select(m => Month(m.Month)).ToList();
        return new ReportOutput(r,
            [
                new("economics", ["month", "issued", "redeemed", "expired", "reward_cost", "discount_cost", "breakage", "revenue", "cost_share_of_revenue"],
                    r.Months.Select(m => (IReadOnlyList<object?>)[m.Month, m.Issued, m.Redeemed, m.Expired, m.RewardCost, m.DiscountCost, m.Breakage, m.Revenue, m.CostShareOfRevenue])),
            ],
            [
                new("economics-points", SvgChart.Bars("Points issued, redeemed and expired per month", labels,
                    [new("Issued", [.. r.Months.Select(m => (double?)m.Issued)]), new("Redeemed", [.. r.Months.Select(m => (double?)m.Redeemed)]),
                     new("Expired", [.. r.Months.Select(m => (double?)m.Expired)])], "points")),
                new("economics-cost", SvgChart.Line("Programme cost per month", labels,
                    [new("Reward cost", [.. r.Months.Select(m => (double?)m.RewardCost)]), new("Discount cost", [.. r.Months.Select(m => (double?)m.DiscountCost)]),
                     new("Breakage", [.. r.Months.Select(m => (double?)m.Breakage)])], "money")),
            ],
            [
                $"Outstanding {r.Outstanding:N0} points: liability {r.Liability:N2}, expected breakage {r.ExpectedBreakage:N2}, expected liability {r.ExpectedLiability:N2}.",
                $"Issued {r.Issued:N0}, redeemed {r.Redeemed:N0} ({Pct(r.RedemptionRate)}), expired {r.Expired:N0}; breakage rate {Pct(r.BreakageRate)}.",
                $"Programme cost {r.RewardCost + r.DiscountCost:N2}: reward cost {r.RewardCost:N2}, campaign discounts {r.DiscountCost:N2}.",
            ]);
    }

    private static async Task<ReportOutput> Loyalty(AnalyticsService analytics, Guid programmeId, DateOnly? asOf, CancellationToken ct)
    {
        var (report, invalid) = await analytics.LoyaltyAsync(programmeId, asOf, ct);
        Fail(invalid);
        var r = report!;
        var labels = r.CrossBuying.Select(m => Month(m.Month)).ToList();
        return new ReportOutput(r,
            [
                new("loyalty-cross-buying", ["month", "active_members", "categories_per_member", "partners_per_member"],
                    r.CrossBuying.Select(m => (IReadOnlyList<object?>)[m.Month, m.ActiveMembers, m.CategoriesPerMember, m.PartnersPerMember])),
                new("loyalty-members-vs-anonymous", ["group", "receipts", "average_basket", "average_items", "receipts_per_month", "receipts_per_member_month"],
                    [["members", r.Members.Receipts, r.Members.AverageBasket, r.Members.AverageItems, r.Members.ReceiptsPerMonth, r.Members.ReceiptsPerCustomerMonth],
                     ["anonymous", r.Anonymous.Receipts, r.Anonymous.AverageBasket, r.Anonymous.AverageItems, r.Anonymous.ReceiptsPerMonth, null]]),
                new("loyalty-around-enrolment", ["months_from_enrolment", "members", "revenue_per_member"],
                    r.AroundEnrolment.Select(m => (IReadOnlyList<object?>)[m.MonthsFromEnrolment, m.Members, m.RevenuePerMember])),
            ],
            [
                new("loyalty-cross-buying", SvgChart.Line("Distinct categories and partners per active member", labels,
                    [new("Categories", [.. r.CrossBuying.Select(m => (double?)m.CategoriesPerMember)]), new("Partners", [.. r.CrossBuying.Select(m => (double?)m.PartnersPerMember)])])),
                new("loyalty-around-enrolment", SvgChart.Bars("Revenue per member by months from enrolment",
                    [.. r.AroundEnrolment.Select(m => m.MonthsFromEnrolment.ToString("+0;-0;0", Inv))],
                    [new("Revenue per member", [.. r.AroundEnrolment.Select(m => (double?)m.RevenuePerMember)])], "money")),
            ],
            [
                $"Members: {r.Members.Receipts:N0} receipts, average basket {r.Members.AverageBasket:N2}; anonymous: {r.Anonymous.Receipts:N0} receipts, average basket {r.Anonymous.AverageBasket:N2}.",
            ]);
    }

    private static Command WhatIfReport(CliContext cli)
    {
        var rules = new Option<string?>("--rules")
        {
            Description = "JSON file with the proposed rules: a programme document (its baseRate, rounding and rules are used) or a list of rules",
            HelpName = "FILE",
        };
        var from = new Option<DateOnly?>("--from") { Description = "First day replayed (default 90 days before --to)", HelpName = "YYYY-MM-DD" };
        var to = new Option<DateOnly?>("--to") { Description = $"Last day replayed {AsOfDefault}", HelpName = "YYYY-MM-DD" };
        var baseRate = new Option<decimal?>("--base-rate") { Description = "Proposed base rate (points per currency unit)", HelpName = "RATE" };
        var campaign = new Option<string?>("--campaign")
        {
            Description = "A campaign of the programme to replay over the period's baskets, as if every customer had used it: its discount cost",
            HelpName = "ID",
        };
        return Report(cli, "what-if", "Replay a period of real purchases under proposed rules and compare points, liability and cost; writes nothing",
            [rules, from, to, baseRate, campaign], async (analytics, programmeId, parse, ct) =>
            {
                var request = new WhatIfRequest(parse.GetValue(from), parse.GetValue(to), parse.GetValue(baseRate), CampaignId: parse.GetValue(campaign));
                if (parse.GetValue(rules) is { } path)
                {
                    var json = await File.ReadAllTextAsync(path, ct);
                    try
                    {
                        if (json.TrimStart().StartsWith('['))
                        {
                            request = request with { Rules = JsonSerializer.Deserialize<List<EarningRule>>(json, TreueJson.Options) };
                        }
                        else
                        {
                            var doc = JsonSerializer.Deserialize<ProgrammeDocument>(json, TreueJson.Options)!;
                            request = request with { Rules = doc.Rules, BaseRate = request.BaseRate ?? doc.BaseRate, Rounding = doc.Rounding };
                        }
                    }
                    catch (JsonException e)
                    {
                        throw new CliError($"{path} is not valid JSON: {e.Message}", ExitCodes.BadInput);
                    }
                }
                var (report, invalid) = await analytics.WhatIfAsync(programmeId, request, ct);
                if (invalid is not null)
                    throw new CliError("the proposal is not valid: " + string.Join("; ", invalid.All().Select(e => $"{(e.Field is "from" or "to" or "baseRate" or "campaignId" ? Flag(e.Field == "campaignId" ? "campaign" : e.Field) : e.Field)}: {e.Message}")), ExitCodes.BadInput);
                var r = report!.Result;
                var labels = r.Months.Select(m => Month(m.Month)).ToList();
                var tables = new List<ReportTable>
                {
                    new("what-if", ["month", "purchases", "actual_points", "simulated_points", "difference"],
                        r.Months.Select(m => (IReadOnlyList<object?>)[m.Month, m.Purchases, m.ActualPoints, m.SimulatedPoints, m.SimulatedPoints - m.ActualPoints])),
                    new("what-if-rules", ["rule", "points", "purchases"], r.Rules.Select(x => (IReadOnlyList<object?>)[x.Rule, x.Points, x.Purchases])),
                };
                var charts = new List<ReportChart>
                {
                    new("what-if", SvgChart.Bars("Points issued: actual and under the proposed rules", labels,
                        [new("Actual", [.. r.Months.Select(m => (double?)m.ActualPoints)]), new("Proposed", [.. r.Months.Select(m => (double?)m.SimulatedPoints)])], "points")),
                };
                var campaignLines = new List<string>();
                if (report.Campaign is { } c)
                {
                    tables.Add(new("what-if-campaign", ["month", "redemptions", "discount"],
                        c.Months.Select(m => (IReadOnlyList<object?>)[m.Month, m.Redemptions, m.Discount])));
                    charts.Add(new("what-if-campaign", SvgChart.Bars($"Discount of the campaign {c.Name} per month", [.. c.Months.Select(m => Month(m.Month))],
                        [new("Discount", [.. c.Months.Select(m => (double?)m.Discount)])], "money")));
                    campaignLines.Add($"Campaign {c.CampaignId} ({c.Name}): {c.Redemptions:N0} of {c.Purchases:N0} purchases by {c.Members:N0} members, discount {c.Discount:N2}"
                        + (c.DiscountShareOfRevenue is { } share ? $" ({share:P1} of {c.Revenue:N2} revenue)" : "")
                        + (c.BonusPoints > 0 ? $", bonus points {c.BonusPoints:N0}" : "")
                        + (c.BudgetExhausted ? "; its budget ran out during the period." : "."));
                }
                return new ReportOutput(report, tables, charts,
                    [
                        .. campaignLines,
                        $"Replayed {r.Purchases:N0} purchases of {r.Members:N0} members from {report.From:yyyy-MM-dd} to {report.To:yyyy-MM-dd}.",
                        $"Points: actual {r.ActualPoints:N0}, proposed {r.SimulatedPoints:N0} ({r.PointsDifference:+#,0;-#,0;0}); cost {r.ActualCost:N2} -> {r.SimulatedCost:N2}, "
                        + $"expected after {report.BreakageRate:P1} breakage {r.ActualExpectedCost:N2} -> {r.SimulatedExpectedCost:N2}.",
                        $"{r.MembersGaining:N0} members would earn more, {r.MembersLosing:N0} less.",
                    ]);
            });
    }
}
