using Microsoft.EntityFrameworkCore;
using Treue.Analytics;
using Treue.Analytics.Baskets;
using Treue.Analytics.Clv;
using Treue.Analytics.Retention;
using Treue.Analytics.Segments;
using Treue.Server.Infrastructure;

namespace Treue.Server.Features.Analytics;

public sealed partial class AnalyticsService
{
    /// <summary>Fewest members with purchases, and with repeat purchases, the lifetime-value models are fitted to.</summary>
    public const int MinCustomersForModels = 20, MinRepeatBuyersForModels = 5;

    private decimal Money(AnalyticsData data, double minor) => (decimal)minor / MinorPerUnit(data);

    /// <summary>
    /// ABC analysis of members by revenue up to a day (default: the day of the last recorded purchase), with the Pareto
    /// curve and the Gini coefficient.
    /// </summary>
    public Task<(AbcReport? Report, Validation? Invalid)> AbcAsync(Guid programmeId, double aShare, double bShare, DateOnly? asOf, CancellationToken ct) =>
        CachedAsync(("abc", aShare, bShare, asOf), programmeId, (s, c) => s.ComputeAbcAsync(programmeId, aShare, bShare, asOf, c), ct);

    private async Task<(AbcReport? Report, Validation? Invalid)> ComputeAbcAsync(Guid programmeId, double aShare, double bShare, DateOnly? asOf, CancellationToken ct)
    {
        var v = new Validation();
        v.Check(aShare is > 0 and < 1, "a", "must be greater than 0 and less than 1");
        v.Check(bShare is >= 0 and < 1 && (v.Failed || aShare + bShare <= 1), "b", "must be 0 or more, with a + b at most 1");
        v.Date(asOf, "asOf");
        if (v.Failed) return (null, v);
        var data = await DataAsync(programmeId, ct);
        var span = await data.SpanAsync(ct);
        var day = asOf ?? span.AsOf(data.Today(clock));
        var members = data.Members();
        var totals = CustomerTotalsAggregator.Aggregate(data.Purchases(members, day), members.Count);
        var buyers = totals.Where(t => t.HasPurchased).Select(t => t.RevenueMinor).ToArray();
        var r = AbcAnalysis.Analyze(buyers, new AbcOptions(aShare, bShare));
        return (new AbcReport(data.Programme.Currency.Code, buyers.Length, aShare, bShare,
            r.Summary.Select(c => new AbcClassView(c.Class, c.Customers, c.CustomerShare, Money(data, c.Value), c.ValueShare)).ToList(),
            r.ParetoCurve, r.Gini, Money(data, r.TotalValue)) { AsOf = day, Data = span }, null);
    }

    /// <summary>
    /// RFM segments as of a day (default: the day of the last recorded purchase) and the moves since an earlier day
    /// (default 90 days before).
    /// </summary>
    public Task<(RfmReport? Report, Validation? Invalid)> RfmAsync(Guid programmeId, DateOnly? asOf, DateOnly? previous, CancellationToken ct) =>
        CachedAsync(("rfm", asOf, previous), programmeId, (s, c) => s.ComputeRfmAsync(programmeId, asOf, previous, c), ct);

    private async Task<(RfmReport? Report, Validation? Invalid)> ComputeRfmAsync(Guid programmeId, DateOnly? asOf, DateOnly? previous, CancellationToken ct)
    {
        var v = new Validation();
        v.Date(asOf, "asOf");
        v.Date(previous, "previous");
        if (v.Failed) return (null, v);
        var data = await DataAsync(programmeId, ct);
        var span = await data.SpanAsync(ct);
        var day = asOf ?? span.AsOf(data.Today(clock));
        var before = previous ?? day.AddDays(-90);
        v.Check(before < day, "previous", "must be before asOf");
        if (v.Failed) return (null, v);
        var members = data.Members();
        var now = Rfm.Score(data.Purchases(members, day), members.Count, day);
        var then = Rfm.Score(data.Purchases(members, before), members.Count, before);
        var moves = RfmTransitions.Between(then, now);
        var list = new List<RfmMove>();
        foreach (var from in Enum.GetValues<RfmSegment>())
            foreach (var to in Enum.GetValues<RfmSegment>())
                if (moves[from, to] > 0) list.Add(new RfmMove(from, to, moves[from, to]));
        var grid = new List<RfmGridCell>();
        for (var r = 1; r <= 5; r++)
            for (var fm = 1; fm <= 5; fm++) grid.Add(new RfmGridCell(r, fm, Rfm.SegmentOf(r, fm)));
        return (new RfmReport(data.Programme.Currency.Code, day, before, now.ScoredCustomers,
            now.Segments.Select(s => new RfmSegmentView(s.Segment, s.Customers, s.CustomerShare, Money(data, s.Monetary), s.MonetaryShare)).ToList(),
            list, grid) { Data = span }, null);
    }

    /// <summary>
    /// The members of one RFM segment (or, with <paramref name="segment"/> null, every scored member) as of a day,
    /// best (highest R, F, M) first; a page at a time.
    /// </summary>
    public async Task<Page<RfmMember>> RfmMembersAsync(Guid programmeId, DateOnly? asOf, RfmSegment? segment, int offset, int take, CancellationToken ct)
    {
        var data = await DataAsync(programmeId, ct);
        var day = asOf ?? (await data.SpanAsync(ct)).AsOf(data.Today(clock));
        var members = data.Members();
        var scores = Rfm.Score(data.Purchases(members, day), members.Count, day).Scores;
        // Members without consent to profiling count in the segments' sizes but are never listed.
        var chosen = Enumerable.Range(0, scores.Length).Where(i => members.Shown(i) && (segment is { } only ? scores[i].Segment == only : scores[i].IsScored))
            .OrderByDescending(i => scores[i].Code).ThenByDescending(i => scores[i].Monetary).ThenBy(i => i).Skip(offset).Take(take + 1).ToList();
        var names = await NamesAsync(chosen.Take(take).Select(i => members.Ids[i]), ct);
        var items = chosen.Take(take).Select(i =>
        {
            var s = scores[i];
            return new RfmMember(members.Ids[i], names.GetValueOrDefault(members.Ids[i], ""), s.R, s.F, s.M, s.Segment, s.RecencyDays, s.Frequency, Money(data, s.Monetary));
        }).ToList();
        return new Page<RfmMember>(items, chosen.Count > take ? Pagination.Cursor((offset + take).ToString(System.Globalization.CultureInfo.InvariantCulture)) : null);
    }

    private async Task<Dictionary<Guid, string>> NamesAsync(IEnumerable<Guid> ids, CancellationToken ct)
    {
        var list = ids.ToList();
        return await db.Members.AsNoTracking().Where(m => list.Contains(m.Id)).ToDictionaryAsync(m => m.Id, m => m.Name, ct);
    }

    /// <summary>Options of a lifetime-value computation.</summary>
    /// <param name="Model">Transaction model.</param>
    /// <param name="HorizonMonths">Months of future purchases the value counts, 1 to 120.</param>
    /// <param name="AnnualDiscountRate">Annual discount rate, 0 to 1.</param>
    /// <param name="CalibrationEnd">Day the models are fitted up to, the day the values are as of; default the day of the last recorded purchase.</param>
    public sealed record ClvOptions(ClvModel Model = ClvModel.BgNbd, int HorizonMonths = 12, double AnnualDiscountRate = 0.10, DateOnly? CalibrationEnd = null);

    private sealed record Fitted(ITransactionModel Model, IReadOnlyDictionary<string, double> Parameters, double LogLikelihood, GammaGammaParameters Spend,
        CalibrationSummary Summary, int RepeatBuyers);

    private static Validation Check(ClvOptions o, string endField)
    {
        var v = new Validation();
        v.Check(Enum.IsDefined(o.Model), "model", "must be bgNbd or paretoNbd");
        v.Check(o.HorizonMonths is >= 1 and <= 120, "horizonMonths", "must be between 1 and 120");
        v.Check(o.AnnualDiscountRate is >= 0 and <= 1, "discountRate", "must be between 0 and 1");
        v.Date(o.CalibrationEnd, endField);
        return v;
    }

    private static (Fitted? Fit, Validation? Invalid) Fit(ClvModel model, CalibrationSummary summary, DataSpan span, DateOnly end, string field)
    {
        var customers = summary.Customers;
        var repeat = customers.Count(c => c.X > 0);
        if (customers.Length < MinCustomersForModels || repeat < MinRepeatBuyersForModels)
        {
            var v = new Validation();
            v.Add(field, $"the models need at least {MinCustomersForModels} members with purchases and {MinRepeatBuyersForModels} with repeat purchases by this day; there are {customers.Length} and {repeat}"
                + (span.Empty(end) is { } why ? $" ({why})" : ""));
            return (null, v);
        }
        var spend = GammaGamma.Fit(customers).Parameters;
        if (model == ClvModel.ParetoNbd)
        {
            var f = ParetoNbd.Fit(customers);
            var p = f.Parameters;
            return (new Fitted(p, new Dictionary<string, double> { ["r"] = p.R, ["alpha"] = p.Alpha, ["s"] = p.S, ["beta"] = p.Beta }, f.LogLikelihood, spend, summary, repeat), null);
        }
        var b = BgNbd.Fit(customers);
        var q = b.Parameters;
        return (new Fitted(q, new Dictionary<string, double> { ["r"] = q.R, ["alpha"] = q.Alpha, ["a"] = q.A, ["b"] = q.B }, b.LogLikelihood, spend, summary, repeat), null);
    }

    private static MemberScore[] Score(Fitted f, ClvHorizon horizon) => f.Model switch
    {
        BgNbdParameters m => ClvScoring.Score(m, f.Spend, horizon, f.Summary.Customers),
        ParetoNbdParameters m => ClvScoring.Score(m, f.Spend, horizon, f.Summary.Customers),
        _ => throw new InvalidOperationException("Unknown model."),
    };

    /// <summary>Which members count as valuable and at risk of being lost.</summary>
    /// <param name="ValueShare">Top share of members by historical value that counts as valuable, (0, 1].</param>
    /// <param name="MaxAlive">P(alive) below which a member counts as at risk, (0, 1].</param>
    /// <param name="Limit">Most members to list.</param>
    public sealed record ChurnRiskOptions(double ValueShare = 0.20, double MaxAlive = 0.5, int Limit = 100);

    /// <summary>
    /// Fits the models to members' purchases up to the calibration end and scores every member. With
    /// <paramref name="risk"/>, the same fit also selects the churn-risk list (<see cref="ClvReport.AtRisk"/>).
    /// </summary>
    public Task<(ClvReport? Report, MemberScore[]? Scores, MemberIndex? Members, Validation? Invalid)> ClvAsync(
        Guid programmeId, ClvOptions options, int top, CancellationToken ct, ChurnRiskOptions? risk = null) =>
        CachedAsync(("clv", options, top, risk), programmeId, (s, c) => s.ComputeClvAsync(programmeId, options, top, risk, c), ct);

    private async Task<(ClvReport? Report, MemberScore[]? Scores, MemberIndex? Members, Validation? Invalid)> ComputeClvAsync(
        Guid programmeId, ClvOptions options, int top, ChurnRiskOptions? risk, CancellationToken ct)
    {
        // A churn-risk list names the calibration end what it is there: the day the list is as of.
        var v = Check(options, risk is null ? "calibrationEnd" : "asOf");
        if (risk is not null)
        {
            v.Check(risk.ValueShare is > 0 and <= 1, "valueShare", "must be greater than 0 and at most 1");
            v.Check(risk.MaxAlive is > 0 and <= 1, "maxAlive", "must be greater than 0 and at most 1");
        }
        if (v.Failed) return (null, null, null, v);
        var data = await DataAsync(programmeId, ct);
        var span = await data.SpanAsync(ct);
        var end = options.CalibrationEnd ?? span.AsOf(data.Today(clock));
        var members = data.Members();
        var summary = CalibrationSummary.Build(data.Purchases(members, end), end);
        var (fit, invalid) = Fit(options.Model, summary, span, end, risk is null ? "calibrationEnd" : "asOf");
        if (fit is null) return (null, null, null, invalid);
        var horizon = ClvHorizon.Months(options.HorizonMonths, options.AnnualDiscountRate);
        var scores = Score(fit, horizon);
        var customers = summary.Customers;
        // Members without consent to profiling are in the fit and the totals, never in a list of members.
        var byClv = Enumerable.Range(0, scores.Length).Where(i => members.Shown(scores[i].Customer))
            .OrderByDescending(i => scores[i].Clv).ThenBy(i => scores[i].Customer).Take(top).ToList();
        var atRisk = risk is null ? [] : AtRisk(customers, scores, risk, members);
        var names = await NamesAsync(byClv.Concat(atRisk).Select(i => members.Ids[scores[i].Customer]), ct);
        var alive = new int[10];
        foreach (var s in scores) alive[Math.Min(9, (int)(s.ProbabilityAlive * 10))]++;
        var report = new ClvReport(data.Programme.Currency.Code, options.Model, end, customers.Length, fit.RepeatBuyers,
            // Gamma-Gamma's scale is in the amounts' unit: reported in the currency, like every other amount.
            fit.Parameters, fit.LogLikelihood, fit.Spend with { Gamma = fit.Spend.Gamma / MinorPerUnit(data) }, options.HorizonMonths, options.AnnualDiscountRate,
            Money(data, customers.Sum(c => (double)c.HistoricalValueMinor)),
            decimal.Round(Money(data, scores.Sum(s => s.Clv)), 2),
            scores.Length == 0 ? 0 : decimal.Round(Money(data, scores.Average(s => s.Clv)), 2),
            scores.Length == 0 ? 0 : scores.Average(s => s.ProbabilityAlive),
            scores.Sum(s => s.ExpectedPurchases),
            alive.Select((n, i) => new Bucket($"{i * 10}–{i * 10 + 10} %", n)).ToList(),
            byClv.Select(i => View(data, members, customers[i], scores[i], names)).ToList())
        {
            AtRisk = risk is null ? null : atRisk.Select(i => View(data, members, customers[i], scores[i], names)).ToList(),
            Data = span,
        };
        return (report, scores, members, null);
    }

    // Valuable: historical value at least that of the member at the top ValueShare; at risk: P(alive) below MaxAlive.
    private static List<int> AtRisk(CustomerSummary[] customers, MemberScore[] scores, ChurnRiskOptions risk, MemberIndex members)
    {
        var values = customers.Select(c => c.HistoricalValueMinor).OrderDescending().ToArray();
        var threshold = values.Length == 0 ? 0 : values[Math.Clamp((int)Math.Ceiling(values.Length * risk.ValueShare) - 1, 0, values.Length - 1)];
        return Enumerable.Range(0, customers.Length)
            .Where(i => customers[i].HistoricalValueMinor >= threshold && scores[i].ProbabilityAlive < risk.MaxAlive && members.Shown(scores[i].Customer))
            .OrderByDescending(i => customers[i].HistoricalValueMinor).ThenBy(i => customers[i].Customer).Take(risk.Limit).ToList();
    }

    private ClvMember View(AnalyticsData data, MemberIndex members, in CustomerSummary c, in MemberScore s, IReadOnlyDictionary<Guid, string> names)
    {
        var id = members.Ids[s.Customer];
        return new ClvMember(id, names.GetValueOrDefault(id, ""), c.X, s.ProbabilityAlive, s.ExpectedPurchases,
            decimal.Round(Money(data, s.ExpectedSpend), 2), decimal.Round(Money(data, s.Clv), 2), Money(data, c.HistoricalValueMinor));
    }

    /// <summary>
    /// High-value members the models think are slipping away: historical value in the top share of members and
    /// P(alive) below a bound, most valuable first. The list a win-back campaign starts from.
    /// </summary>
    public async Task<(IReadOnlyList<ClvMember>? Members, Validation? Invalid)> ChurnRiskAsync(Guid programmeId, ClvOptions options, ChurnRiskOptions risk, CancellationToken ct)
    {
        var (report, _, _, invalid) = await ClvAsync(programmeId, options, 0, ct, risk);
        return (report?.AtRisk, invalid);
    }

    /// <summary>
    /// Calibration/holdout check of the model: fitted to purchases up to <paramref name="calibrationEnd"/>, its
    /// predictions for the holdout period set against what members really did.
    /// </summary>
    public Task<(HoldoutView? Report, Validation? Invalid)> HoldoutAsync(Guid programmeId, ClvModel model, DateOnly? calibrationEnd, DateOnly? holdoutEnd, CancellationToken ct) =>
        CachedAsync(("holdout", model, calibrationEnd, holdoutEnd), programmeId, (s, c) => s.ComputeHoldoutAsync(programmeId, model, calibrationEnd, holdoutEnd, c), ct);

    private async Task<(HoldoutView? Report, Validation? Invalid)> ComputeHoldoutAsync(Guid programmeId, ClvModel model, DateOnly? calibrationEnd, DateOnly? holdoutEnd, CancellationToken ct)
    {
        var dates = new Validation();
        dates.Date(calibrationEnd, "calibrationEnd");
        dates.Date(holdoutEnd, "holdoutEnd");
        if (dates.Failed) return (null, dates);
        var data = await DataAsync(programmeId, ct);
        var span = await data.SpanAsync(ct);
        var end = holdoutEnd ?? span.AsOf(data.Today(clock));
        var members = data.Members();
        DateOnly calibration;
        if (calibrationEnd is { } given) calibration = given;
        else
        {
            // Default: the middle of the members' purchase history, so both periods have data.
            var first = data.Purchases(members, end).Select(p => p.Day).DefaultIfEmpty(end).Min();
            calibration = DateOnly.FromDayNumber((first.DayNumber + end.DayNumber) / 2);
        }
        var v = new Validation();
        v.Check(Enum.IsDefined(model), "model", "must be bgNbd or paretoNbd");
        v.Check(calibration < end, "calibrationEnd", "must be before holdoutEnd");
        // Purchases that were never recorded would count as purchases the members did not make.
        v.Check(span.LastPurchase is not { } last || end <= last, "holdoutEnd",
            $"is after the last recorded purchase ({span.LastPurchase:yyyy-MM-dd}): the holdout would count days without data as days without purchases");
        if (v.Failed) return (null, v);
        var summary = CalibrationSummary.Build(data.Purchases(members, end), calibration, end);
        var (fit, invalid) = Fit(model, summary, span, calibration, "calibrationEnd");
        if (fit is null) return (null, invalid);
        var groups = fit.Model switch
        {
            BgNbdParameters m => HoldoutReport.Build(m, summary),
            ParetoNbdParameters m => HoldoutReport.Build(m, summary),
            _ => throw new InvalidOperationException("Unknown model."),
        };
        return (new HoldoutView(model, calibration, end, summary.HoldoutWeeks,
            groups.Sum(g => g.ActualPurchases), groups.Sum(g => g.PredictedPurchases), groups) { Data = span }, null);
    }

    /// <summary>
    /// Cohort retention (by first purchase or enrolment month), repurchase, churn in the last complete month and time
    /// between purchases, from purchases up to a day (default: the day of the last recorded purchase).
    /// </summary>
    public Task<(RetentionReport? Report, Validation? Invalid)> RetentionAsync(Guid programmeId, bool byEnrolment, int repurchaseWithinDays, DateOnly? asOf, CancellationToken ct) =>
        CachedAsync(("retention", byEnrolment, repurchaseWithinDays, asOf), programmeId, (s, c) => s.ComputeRetentionAsync(programmeId, byEnrolment, repurchaseWithinDays, asOf, c), ct);

    private async Task<(RetentionReport? Report, Validation? Invalid)> ComputeRetentionAsync(Guid programmeId, bool byEnrolment, int repurchaseWithinDays, DateOnly? asOf, CancellationToken ct)
    {
        var v = new Validation();
        v.Check(repurchaseWithinDays is >= 1 and <= 3660, "withinDays", "must be between 1 and 3660");
        v.Date(asOf, "asOf");
        if (v.Failed) return (null, v);
        var data = await DataAsync(programmeId, ct);
        var span = await data.SpanAsync(ct);
        var day = asOf ?? span.AsOf(data.Today(clock));
        var members = data.Members();
        var cohorts = byEnrolment
            ? Cohorts.ByEnrolment(data.Purchases(members, day), members.EnrolledOn.Select(d => d <= day ? (DateOnly?)d : null).ToList())
            : Cohorts.ByFirstPurchase(data.Purchases(members, day), members.Count);
        var totals = CustomerTotalsAggregator.Aggregate(data.Purchases(members, day), members.Count);
        var repurchase = Repurchase.Rate(totals, repurchaseWithinDays, day);
        // The month the as-of day falls in is not over unless the day is its last: churn is measured in the last complete month.
        var month = new DateOnly(day.Year, day.Month, 1);
        var thisMonth = day == month.AddMonths(1).AddDays(-1) ? month.AddMonths(1) : month;
        var churn = Activity.Churn(data.Purchases(members, day), members.Count, thisMonth.AddMonths(-2), thisMonth.AddMonths(-1), thisMonth);
        var gaps = Repurchase.InterPurchase(data.Purchases(members, day), members.Count);
        var months = Activity.ByMonth(data.Purchases(members, day), members.Count);
        return (new RetentionReport(byEnrolment ? "enrolment" : "firstPurchase",
            cohorts.Rows.Select(r => new CohortView(r.CohortMonth, r.Size, r.Active, r.Active.Select((_, k) => r.Share(k)).ToList())).ToList(),
            repurchase, new ChurnView(thisMonth.AddMonths(-1), churn.ActiveBefore, churn.Retained, churn.Churned, churn.Rate), gaps, months)
            { AsOf = day, Data = span }, null);
    }

    /// <summary>Which basket lines the rules are mined over.</summary>
    public enum BasketItems
    {
        /// <summary>Article SKUs.</summary>
        Sku,
        /// <summary>Article categories (lines without a category are left out).</summary>
        Category,
    }

    private async Task<(List<int[]> Baskets, ItemDictionary Items)> BasketsAsync(Guid programmeId, BasketItems by, DateOnly? since, CancellationToken ct)
    {
        var start = (since ?? DateOnly.MinValue).ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
        var privacy = await AnalyticsPrivacy.LoadAsync(db, programmeId, ct);
        var rows = db.PurchaseLines.AsNoTracking()
            .Join(db.Purchases.AsNoTracking().Where(p => p.ProgrammeId == programmeId && p.OccurredAt >= start), l => l.PurchaseId, p => p.Id,
                (l, p) => new { l.PurchaseId, p.MemberId, l.Sku, l.Category })
            .OrderBy(x => x.PurchaseId).AsAsyncEnumerable();
        var items = new ItemDictionary();
        var baskets = new List<int[]>();
        var current = new HashSet<int>();
        Guid? purchase = null;
        await foreach (var r in rows.WithCancellation(ct))
        {
            if (purchase != r.PurchaseId)
            {
                if (current.Count > 0) baskets.Add([.. current]);
                current.Clear();
                purchase = r.PurchaseId;
            }
            // Baskets are mined without their members; a programme that excludes members without consent leaves theirs out too.
            if (!privacy.Admits(r.MemberId)) continue;
            var name = by == BasketItems.Sku ? r.Sku : r.Category;
            if (!string.IsNullOrEmpty(name)) current.Add(items.GetOrAdd(name));
        }
        if (current.Count > 0) baskets.Add([.. current]);
        return (baskets, items);
    }

    /// <summary>Largest itemset basket rules are mined over by default: arules' default, and what the docs' figures use.</summary>
    public const int DefaultMaxLength = 10;

    /// <summary>Bounds of the itemset length a request may ask for.</summary>
    public const int MinMaxLength = 2, MaxMaxLength = 20;

    /// <summary>
    /// Most frequent itemsets one request mines. A low support over large baskets has exponentially many; past this
    /// bound the request is refused rather than left to run.
    /// </summary>
    public const int MaxItemsets = 500_000;

    /// <summary>
    /// Association rules over the programme's baskets since a day (default: all), strongest lift first, from itemsets of
    /// at most <paramref name="maxLength"/> items.
    /// </summary>
    public async Task<(BasketReport? Report, Validation? Invalid)> BasketRulesAsync(Guid programmeId, BasketItems by, double minSupport, double minConfidence,
        DateOnly? since, int top, int maxLength, CancellationToken ct)
    {
        var v = new Validation();
        v.Check(Enum.IsDefined(by), "by", "must be sku or category");
        v.Check(minSupport is >= 0.0001 and <= 1, "minSupport", "must be between 0.0001 and 1");
        v.Check(minConfidence is > 0 and <= 1, "minConfidence", "must be greater than 0 and at most 1");
        v.Check(maxLength is >= MinMaxLength and <= MaxMaxLength, "maxLength", $"must be between {MinMaxLength} and {MaxMaxLength}");
        v.Date(since, "since");
        if (v.Failed) return (null, v);
        var mined = await results.GetAsync(("basket-rules", programmeId, by, minSupport, minConfidence, since, maxLength), await VersionAsync(programmeId, ct),
            async (services, stopping) =>
            {
                var (baskets, items) = await services.GetRequiredService<AnalyticsService>().BasketsAsync(programmeId, by, since, stopping);
                var itemsets = FpGrowth.Mine(baskets, minSupport, maxLength, MaxItemsets);
                if (itemsets.Truncated) return (Baskets: baskets.Count, Items: items.Count, Rules: (List<RuleView>?)null);
                var rules = AssociationRules.Generate(itemsets, minConfidence);
                return (Baskets: baskets.Count, Items: items.Count, Rules: rules.OrderByDescending(r => r.Lift).ThenByDescending(r => r.Confidence).Select(r => Rule(r, items)).ToList());
            }, ct);
        if (mined.Rules is null)
        {
            v.Add("minSupport", $"is too low for these baskets: it makes more than {MaxItemsets:N0} itemsets frequent; raise it or lower maxLength");
            return (null, v);
        }
        return (new BasketReport(by.ToString().ToLowerInvariant(), mined.Baskets, mined.Items, minSupport, minConfidence, maxLength, mined.Rules.Count,
            mined.Rules.Take(top).ToList()), null);
    }

    private sealed record MinedRules(IReadOnlyList<AssociationRule> Rules, ItemDictionary Items);

    /// <summary>The rules recommendations use, mined over all baskets of the programme; the costly part, cached per data version.</summary>
    private async Task<MinedRules> RecommendationRulesAsync(Guid programmeId, BasketItems by, CancellationToken ct) =>
        await results.GetAsync(("recommendation-rules", programmeId, by), await VersionAsync(programmeId, ct), async (services, stopping) =>
        {
            var (baskets, items) = await services.GetRequiredService<AnalyticsService>().BasketsAsync(programmeId, by, null, stopping);
            // Rules for suggestions need not be rare-but-certain: a lower support and confidence than reports use find more.
            var minSupport = Math.Min(1, Math.Max(0.001, 5.0 / Math.Max(1, baskets.Count)));
            return new MinedRules(AssociationRules.Generate(FpGrowth.Mine(baskets, minSupport, maxLength: 3), 0.1), items);
        }, ct);

    private static RuleView Rule(AssociationRule r, ItemDictionary items) =>
        new([.. r.Antecedent.Select(i => items[i])], [.. r.Consequent.Select(i => items[i])], r.Count, r.Support, r.Confidence, r.Lift);

    /// <summary>
    /// "Customers who buy X also buy Y" for one member: rules mined over all baskets whose antecedent the member's
    /// purchases contain, suggesting only what the member does not buy yet. Null when the member is not in the programme.
    /// </summary>
    public async Task<IReadOnlyList<RecommendationView>?> RecommendAsync(Guid programmeId, Guid memberId, BasketItems by, int top, CancellationToken ct)
    {
        if (!await db.Members.AnyAsync(m => m.Id == memberId && m.ProgrammeId == programmeId, ct)) return null;
        // A personal suggestion is profiling: none for a member who did not consent to it or objected to marketing.
        var consents = await Privacy.Consents.LoadAsync(db, programmeId, memberId, ct);
        if (consents is null || !consents.Allows(Storage.Entities.ConsentPurpose.Profiling)) return [];
        var (rules, items) = await RecommendationRulesAsync(programmeId, by, ct);
        var owned = await db.PurchaseLines.AsNoTracking().Where(l => l.ProgrammeId == programmeId && l.MemberId == memberId)
            .Select(l => by == BasketItems.Sku ? l.Sku : l.Category).Distinct().ToListAsync(ct);
        var ownedIds = owned.Where(o => o is not null).Select(o => items.TryGetId(o!, out var id) ? id : -1).Where(id => id >= 0).ToHashSet();
        return BasketRecommender.Recommend(rules, ownedIds, top)
            .Select(r => new RecommendationView(items[r.Item], r.Rule.Confidence, r.Rule.Lift, [.. r.Rule.Antecedent.Select(i => items[i])])).ToList();
    }
}
