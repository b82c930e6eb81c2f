using System.CommandLine;
using Treue.Analytics.Clv;
using Treue.Analytics.Segments;
using Treue.Cli.Reports;
using Treue.Server.Features.Analytics;
using Treue.Server.Infrastructure;

namespace Treue.Cli.Commands;

internal static partial class ReportCommand
{
    private static void Fail(Validation? invalid)
    {
        if (invalid is not null)
            throw new CliError(string.Join("; ", invalid.All().Select(e => $"{Flag(e.Field)}: {e.Message}")), ExitCodes.BadInput);
    }

    // API field names are camelCase; the CLI's options are kebab-case.
    private static string Flag(string field) =>
        "--" + string.Concat(field.Select(c => char.IsUpper(c) ? "-" + char.ToLowerInvariant(c) : c.ToString()));

    private const string AsOfDefault = "(default: the day of the last recorded purchase)";

    /// <summary>The <c>--as-of</c> option of a report.</summary>
    private static Option<DateOnly?> AsOf(string what) =>
        new("--as-of") { Description = $"{what} {AsOfDefault}", HelpName = "YYYY-MM-DD" };

    /// <summary>The day a report was made as of and, when it had nothing to read by then, why.</summary>
    /// <summary>Why a member list may be shorter than the members it counts: those who did not consent to profiling are never listed.</summary>
    private static async Task<string[]> UnlistedLineAsync(AnalyticsService analytics, Guid programmeId, CancellationToken ct) =>
        await analytics.UnlistedMembersAsync(programmeId, ct) is var n and > 0
            ? [$"{n:N0} members did not consent to profiling (or objected): no list names them."]
            : [];

    private static IEnumerable<string> AsOfLines(DateOnly asOf, DataSpan? data)
    {
        yield return $"As of {asOf:yyyy-MM-dd}" + (data?.LastPurchase is { } last
            ? $" (purchases recorded from {data.FirstPurchase:yyyy-MM-dd} to {last:yyyy-MM-dd})." : ".");
        if (data?.Empty(asOf) is { } why) yield return $"Nothing to report: {why}.";
        else if (data?.LastPurchase is { } end && asOf > end)
            yield return $"Note: {asOf:yyyy-MM-dd} is after the last recorded purchase ({end:yyyy-MM-dd}); the days between count as days without purchases.";
    }

    private static IEnumerable<Command> CustomerReports(CliContext cli)
    {
        yield return Abc(cli);
        yield return RfmReportCommand(cli);
        yield return Clv(cli);
        yield return Holdout(cli);
        yield return ChurnRisk(cli);
        yield return Retention(cli);
        yield return Baskets(cli);
    }

    private static Command Abc(CliContext cli)
    {
        var a = new Option<double>("--a") { Description = "Revenue share of class A", DefaultValueFactory = _ => 0.80 };
        var b = new Option<double>("--b") { Description = "Revenue share of class B (C is the rest)", DefaultValueFactory = _ => 0.15 };
        var asOf = AsOf("Last day whose purchases count");
        return Report(cli, "abc", "ABC classes of members by revenue, the Pareto curve and the Gini coefficient", [a, b, asOf], async (analytics, id, parse, ct) =>
        {
            var (r, invalid) = await analytics.AbcAsync(id, parse.GetValue(a), parse.GetValue(b), parse.GetValue(asOf), ct);
            Fail(invalid);
            var curve = r!.ParetoCurve;
            return new ReportOutput(r,
                [
                    new("abc-classes", ["class", "customers", "customer_share", "revenue", "revenue_share"],
                        r.Classes.Select(c => (IReadOnlyList<object?>)[c.Class, c.Customers, c.CustomerShare, c.Revenue, c.RevenueShare])),
                    new("abc-pareto-curve", ["customer_share", "revenue_share"], curve.Select(p => (IReadOnlyList<object?>)[p.CustomerShare, p.ValueShare])),
                ],
                [
                    new("abc-pareto-curve", SvgChart.Line($"Pareto curve of revenue (Gini {r.Gini:0.000})",
                        [.. curve.Select(p => p.CustomerShare.ToString("P0", Inv))],
                        [new("Share of revenue", [.. curve.Select(p => (double?)p.ValueShare)]), new("Equal revenue", [.. curve.Select(p => (double?)p.CustomerShare)])],
                        "cumulative share of revenue", 1)),
                    new("abc-classes", SvgChart.Bars("Customers and revenue by ABC class", [.. r.Classes.Select(c => c.Class.ToString())],
                        [new("Share of customers", [.. r.Classes.Select(c => (double?)c.CustomerShare)]), new("Share of revenue", [.. r.Classes.Select(c => (double?)c.RevenueShare)])])),
                ],
                [
                    .. AsOfLines(r.AsOf, r.Data),
                    $"{r.Customers:N0} members with purchases, revenue {r.TotalRevenue:N2} {r.Currency}, Gini {r.Gini:0.000}.",
                    string.Join("; ", r.Classes.Select(c => $"{c.Class}: {c.Customers:N0} members ({Pct(c.CustomerShare)}) with {Pct(c.RevenueShare)} of revenue")),
                ]);
        });
    }

    private static Command RfmReportCommand(CliContext cli)
    {
        var asOf = AsOf("Day recency is measured to");
        var previous = new Option<DateOnly?>("--previous") { Description = "Earlier day to compare segments with (default 90 days before)", HelpName = "YYYY-MM-DD" };
        return Report(cli, "rfm", "RFM scores and segments of every member, segment sizes and revenue, and moves since an earlier day",
            [asOf, previous], async (analytics, id, parse, ct) =>
            {
                var (r, invalid) = await analytics.RfmAsync(id, parse.GetValue(asOf), parse.GetValue(previous), ct);
                Fail(invalid);
                // One scoring for every member's row, grouped by segment as the summary lists them.
                var members = (await analytics.RfmMembersAsync(id, r!.AsOf, null, 0, r.ScoredCustomers, ct)).Items
                    .OrderBy(m => m.Segment).ToList();
                return new ReportOutput(r,
                    [
                        new("rfm-segments", ["segment", "customers", "customer_share", "revenue", "revenue_share"],
                            r.Segments.Select(s => (IReadOnlyList<object?>)[s.Segment, s.Customers, s.CustomerShare, s.Revenue, s.RevenueShare])),
                        new("rfm-moves", ["from", "to", "members"], r.Moves.Select(m => (IReadOnlyList<object?>)[m.From, m.To, m.Members])),
                        new("rfm-members", ["member_id", "name", "segment", "r", "f", "m", "recency_days", "frequency", "revenue"],
                            members.Select(m => (IReadOnlyList<object?>)[m.MemberId, m.Name, m.Segment, m.R, m.F, m.M, m.RecencyDays, m.Frequency, m.Revenue])),
                    ],
                    [
                        new("rfm-segments", SvgChart.Bars($"RFM segments as of {r.AsOf:yyyy-MM-dd}", [.. r.Segments.Select(s => s.Segment.ToString())],
                            [new("Share of members", [.. r.Segments.Select(s => (double?)s.CustomerShare)]), new("Share of revenue", [.. r.Segments.Select(s => (double?)s.RevenueShare)])])),
                    ],
                    [
                        .. AsOfLines(r.AsOf, r.Data),
                        $"{r.ScoredCustomers:N0} members scored as of {r.AsOf:yyyy-MM-dd}: "
                        + string.Join(", ", r.Segments.Where(s => s.Customers > 0).OrderByDescending(s => s.Customers).Select(s => $"{s.Segment} {s.Customers:N0}")) + ".",
                    ]);
            });
    }

    private static (Option<string> Model, Option<int> Horizon, Option<double> Discount, Option<DateOnly?> End) ClvOptions() => (
        new Option<string>("--model") { Description = "bgNbd or paretoNbd", DefaultValueFactory = _ => "bgNbd" },
        new Option<int>("--horizon-months") { Description = "Months of future purchases the value counts", DefaultValueFactory = _ => 12 },
        new Option<double>("--discount-rate") { Description = "Annual discount rate", DefaultValueFactory = _ => 0.10 },
        new Option<DateOnly?>("--calibration-end", "--as-of") { Description = $"Day the models are fitted up to, the day the values are as of {AsOfDefault}", HelpName = "YYYY-MM-DD" });

    private static ClvModel Model(string text) =>
        Enum.TryParse<ClvModel>(text, ignoreCase: true, out var m) && Enum.IsDefined(m) && !int.TryParse(text, out _)
            ? m : throw new CliError("--model: must be bgNbd or paretoNbd", ExitCodes.BadInput);

    private static Command Clv(CliContext cli)
    {
        var (model, horizon, discount, end) = ClvOptions();
        return Report(cli, "clv", "Lifetime value of every member: BG/NBD or Pareto/NBD with Gamma-Gamma, discounted over a horizon",
            [model, horizon, discount, end], async (analytics, id, parse, ct) =>
            {
                var options = new AnalyticsService.ClvOptions(Model(parse.GetRequiredValue(model)), parse.GetValue(horizon), parse.GetValue(discount), parse.GetValue(end));
                var (r, scores, members, invalid) = await analytics.ClvAsync(id, options, 20, ct);
                Fail(invalid);
                var unit = Math.Pow(10, Treue.Domain.Currency.Find(r!.Currency)!.MinorDigits);
                return new ReportOutput(r,
                    [
                        new("clv-model", ["parameter", "value"],
                            r.Parameters.Select(p => (IReadOnlyList<object?>)[p.Key, p.Value])
                                .Concat([["log_likelihood", r.LogLikelihood], ["spend_p", r.Spend.P], ["spend_q", r.Spend.Q], ["spend_gamma", r.Spend.Gamma]])),
                        new("clv-members", ["member_id", "probability_alive", "expected_purchases", "expected_spend", "clv"],
                            scores!.Select(s => (IReadOnlyList<object?>)[members!.Ids[s.Customer], s.ProbabilityAlive, s.ExpectedPurchases,
                                Math.Round(s.ExpectedSpend / unit, 2), Math.Round(s.Clv / unit, 2)])),
                    ],
                    [
                        new("clv-probability-alive", SvgChart.Bars("Members by probability of being alive", [.. r.ProbabilityAlive.Select(b => b.Label)],
                            [new("Members", [.. r.ProbabilityAlive.Select(b => (double?)b.Members)])], "members")),
                        new("clv-top", SvgChart.Bars($"Most valuable members: {r.HorizonMonths}-month CLV", [.. r.Top.Select((m, i) => (i + 1).ToString(Inv))],
                            [new("CLV", [.. r.Top.Select(m => (double?)m.Clv)]), new("Historical value", [.. r.Top.Select(m => (double?)m.HistoricalValue)])], r.Currency)),
                    ],
                    [
                        .. AsOfLines(r.CalibrationEnd, r.Data),
                        $"{r.Model}: " + string.Join(", ", r.Parameters.Select(p => $"{p.Key}={p.Value:0.####}")) + $", log-likelihood {r.LogLikelihood:0.0}; "
                        + $"Gamma-Gamma p={r.Spend.P:0.###}, q={r.Spend.Q:0.###}, gamma={r.Spend.Gamma:0.###}.",
                        $"{r.Customers:N0} members: expected {r.ExpectedPurchases:N0} purchases and CLV {r.TotalClv:N2} {r.Currency} in {r.HorizonMonths} months "
                        + $"at {r.AnnualDiscountRate:P0} a year (mean {r.MeanClv:N2}); mean P(alive) {r.MeanProbabilityAlive:0.000}.",
                    ]);
            });
    }

    private static Command Holdout(CliContext cli)
    {
        var (model, _, _, end) = ClvOptions();
        var holdoutEnd = new Option<DateOnly?>("--holdout-end") { Description = $"Last day of the holdout period {AsOfDefault}", HelpName = "YYYY-MM-DD" };
        return Report(cli, "holdout", "Calibration/holdout check: the model's predicted purchases against the actual ones",
            [model, end, holdoutEnd], async (analytics, id, parse, ct) =>
            {
                var (r, invalid) = await analytics.HoldoutAsync(id, Model(parse.GetRequiredValue(model)), parse.GetValue(end), parse.GetValue(holdoutEnd), ct);
                Fail(invalid);
                static string Label(HoldoutGroup g) => g.RepeatPurchases + (g.OrMore ? "+" : "");
                var labels = r!.Groups.Select(Label).ToList();
                return new ReportOutput(r,
                    [
                        new("holdout", ["calibration_repeat_purchases", "customers", "actual_purchases", "predicted_purchases", "actual_mean", "predicted_mean"],
                            r.Groups.Select(g => (IReadOnlyList<object?>)[Label(g), g.Customers, g.ActualPurchases, g.PredictedPurchases, g.ActualMean, g.PredictedMean])),
                    ],
                    [
                        new("holdout", SvgChart.Line($"Purchases per member in the {r.HoldoutWeeks:0.#}-week holdout: actual and predicted", labels,
                            [new("Actual", [.. r.Groups.Select(g => (double?)g.ActualMean)]), new("Predicted", [.. r.Groups.Select(g => (double?)g.PredictedMean)])],
                            "purchases per member")),
                    ],
                    [
                        .. AsOfLines(r.HoldoutEnd, r.Data),
                        $"{r.Model} fitted up to {r.CalibrationEnd:yyyy-MM-dd}; holdout to {r.HoldoutEnd:yyyy-MM-dd}: "
                        + $"actual {r.ActualPurchases:N0} purchases, predicted {r.PredictedPurchases:N1} ({(r.ActualPurchases == 0 ? "n/a" : ((r.PredictedPurchases - r.ActualPurchases) / r.ActualPurchases).ToString("+0.0%;-0.0%", Inv))}).",
                    ]);
            });
    }

    private static Command ChurnRisk(CliContext cli)
    {
        var (model, _, _, _) = ClvOptions();
        var share = new Option<double>("--value-share") { Description = "Top share of members by historical value to consider", DefaultValueFactory = _ => 0.20 };
        var alive = new Option<double>("--max-alive") { Description = "Largest P(alive) that counts as at risk", DefaultValueFactory = _ => 0.5 };
        var limit = new Option<int>("--limit") { Description = "Most members to list", DefaultValueFactory = _ => 1000 };
        var asOf = AsOf("Day the models are fitted up to and P(alive) is measured on");
        return Report(cli, "churn-risk", "High-value members with a low probability of being alive: the list for a win-back campaign",
            [model, share, alive, limit, asOf], async (analytics, id, parse, ct) =>
            {
                var options = new AnalyticsService.ClvOptions(Model(parse.GetRequiredValue(model)), CalibrationEnd: parse.GetValue(asOf));
                var (report, _, _, invalid) = await analytics.ClvAsync(id, options, 0, ct,
                    new AnalyticsService.ChurnRiskOptions(parse.GetValue(share), parse.GetValue(alive), Math.Max(0, parse.GetValue(limit))));
                Fail(invalid);
                var list = report!.AtRisk!;
                return new ReportOutput(list,
                    [
                        new("churn-risk", ["member_id", "name", "historical_value", "probability_alive", "repeat_purchases", "expected_purchases", "clv"],
                            list!.Select(m => (IReadOnlyList<object?>)[m.MemberId, m.Name, m.HistoricalValue, m.ProbabilityAlive, m.RepeatPurchases, m.ExpectedPurchases, m.Clv])),
                    ],
                    [],
                    [.. AsOfLines(report.CalibrationEnd, report.Data), $"{list.Count:N0} high-value members at risk (P(alive) < {parse.GetValue(alive):0.##}), worth {list.Sum(m => m.HistoricalValue):N2} so far.",
                        .. await UnlistedLineAsync(analytics, id, ct)]);
            });
    }

    private static Command Retention(CliContext cli)
    {
        var by = new Option<string>("--by") { Description = "Cohorts by firstPurchase or enrolment month", DefaultValueFactory = _ => "firstPurchase" };
        by.AcceptOnlyFromAmong("firstPurchase", "enrolment");
        var within = new Option<int>("--within-days") { Description = "Window for the repurchase rate", DefaultValueFactory = _ => 90 };
        var asOf = AsOf("Last day whose purchases count; churn is measured in the last complete month before it");
        return Report(cli, "retention", "Cohort retention matrix, repurchase and churn rates, active members per month, time between purchases",
            [by, within, asOf], async (analytics, id, parse, ct) =>
            {
                var days = parse.GetValue(within);
                var (report, invalid) = await analytics.RetentionAsync(id, parse.GetRequiredValue(by) == "enrolment", days, parse.GetValue(asOf), ct);
                Fail(invalid);
                var r = report!;
                var width = r.Cohorts.Count == 0 ? 0 : r.Cohorts.Max(c => c.Active.Count);
                return new ReportOutput(r,
                    [
                        new("retention-cohorts", ["cohort", "size", .. Enumerable.Range(0, width).Select(k => "month_" + k)],
                            r.Cohorts.Select(c => (IReadOnlyList<object?>)[c.Cohort, c.Size, .. Enumerable.Range(0, width).Select(k => k < c.Share.Count ? (object?)c.Share[k] : null)])),
                        new("retention-months", ["month", "active", "new", "retained", "churn_rate"],
                            r.Months.Select(m => (IReadOnlyList<object?>)[m.Month, m.Active, m.New, m.Retained, m.ChurnRate])),
                        new("retention-between-purchases", ["from_days", "to_days", "gaps", "share"],
                            r.BetweenPurchases.Histogram.Select(b => (IReadOnlyList<object?>)[b.FromDays, b.ToDays, b.Count, b.Share])),
                    ],
                    [
                        new("retention-cohorts", SvgChart.Heatmap("Share of each cohort buying in later months", [.. r.Cohorts.Select(c => Month(c.Cohort))],
                            [.. Enumerable.Range(0, width).Select(k => k.ToString(Inv))],
                            (row, k) => k < r.Cohorts[row].Share.Count ? r.Cohorts[row].Share[k] : null)),
                        new("retention-months", SvgChart.Line("Active, new and retained members per month", [.. r.Months.Select(m => Month(m.Month))],
                            [new("Active", [.. r.Months.Select(m => (double?)m.Active)]), new("New", [.. r.Months.Select(m => (double?)m.New)]), new("Retained", [.. r.Months.Select(m => (double?)m.Retained)])], "members")),
                        new("retention-between-purchases", SvgChart.Bars("Days between purchases",
                            [.. r.BetweenPurchases.Histogram.Select(b => b.ToDays is { } to ? $"{b.FromDays}–{to - 1}" : $"{b.FromDays}+")],
                            [new("Share of gaps", [.. r.BetweenPurchases.Histogram.Select(b => (double?)b.Share)])])),
                    ],
                    [
                        .. AsOfLines(r.AsOf, r.Data),
                        $"{r.Repurchase.Customers:N0} buyers, {Pct(r.Repurchase.Rate)} bought again ({Pct(r.Repurchase.RateWithin)} within {days} days); "
                        + $"churn in {r.Churn.Month:yyyy-MM}: {Pct(r.Churn.Rate)} of {r.Churn.ActiveBefore:N0}; median {r.BetweenPurchases.MedianDays:0} days between purchases.",
                    ]);
            });
    }

    private static Command Baskets(CliContext cli)
    {
        var by = new Option<string>("--by") { Description = "Mine baskets of sku or category", DefaultValueFactory = _ => "category" };
        by.AcceptOnlyFromAmong("sku", "category");
        var support = new Option<double>("--min-support") { Description = "Minimum support (share of baskets)", DefaultValueFactory = _ => 0.01 };
        var confidence = new Option<double>("--min-confidence") { Description = "Minimum confidence", DefaultValueFactory = _ => 0.5 };
        var since = new Option<DateOnly?>("--since") { Description = "Only baskets from this day on", HelpName = "YYYY-MM-DD" };
        var top = new Option<int>("--top") { Description = "Rules to keep, strongest lift first", DefaultValueFactory = _ => 100 };
        var maxLength = new Option<int>("--max-length")
        {
            Description = $"Largest itemset mined (rule items on both sides), {AnalyticsService.MinMaxLength} to {AnalyticsService.MaxMaxLength}",
            DefaultValueFactory = _ => AnalyticsService.DefaultMaxLength,
        };
        return Report(cli, "baskets", "Association rules: what sells together, with support, confidence and lift",
            [by, support, confidence, since, top, maxLength], async (analytics, id, parse, ct) =>
            {
                var items = parse.GetRequiredValue(by) == "sku" ? AnalyticsService.BasketItems.Sku : AnalyticsService.BasketItems.Category;
                var (r, invalid) = await analytics.BasketRulesAsync(id, items, parse.GetValue(support), parse.GetValue(confidence), parse.GetValue(since),
                    Math.Clamp(parse.GetValue(top), 0, 100_000), parse.GetValue(maxLength), ct);
                Fail(invalid);
                var shown = r!.Rules.Take(15).ToList();
                return new ReportOutput(r,
                    [
                        new("baskets-rules", ["if", "then", "baskets", "support", "confidence", "lift"],
                            r.Rules.Select(x => (IReadOnlyList<object?>)[string.Join(" + ", x.If), string.Join(" + ", x.Then), x.Baskets, x.Support, x.Confidence, x.Lift])),
                    ],
                    [
                        new("baskets-rules", SvgChart.Bars("Strongest rules by lift", [.. shown.Select((_, i) => "#" + (i + 1).ToString(Inv))],
                            [new("Lift", [.. shown.Select(x => (double?)x.Lift)])], "lift")),
                    ],
                    [
                        $"{r.Baskets:N0} baskets of {r.Items:N0} {r.By} items: {r.RuleCount:N0} rules at support {r.MinSupport:0.####}, confidence {r.MinConfidence:0.##} and itemsets of at most {r.MaxLength} items.",
                        .. shown.Take(3).Select(x => $"  {string.Join(" + ", x.If)} -> {string.Join(" + ", x.Then)}: confidence {x.Confidence:0.000}, lift {x.Lift:0.000}"),
                    ]);
            });
    }
}
