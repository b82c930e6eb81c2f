using Treue.Analytics.Baskets;
using Treue.Analytics.Clv;
using Treue.Analytics.Retention;
using Treue.Analytics.Segments;

namespace Treue.Server.Features.Analytics;

/// <summary>
/// The days of the programme's first and last recorded purchase (programme time zone), null when it has none. A report
/// without a date is made as of the last purchase, so that a history which ended long ago is not measured up to today.
/// </summary>
public sealed record DataSpan(DateOnly? FirstPurchase, DateOnly? LastPurchase)
{
    /// <summary>The day a report is made as of when the request names none: the last purchase, or today without any.</summary>
    public DateOnly AsOf(DateOnly today) => LastPurchase ?? today;

    /// <summary>
    /// Why a report as of <paramref name="asOf"/> has nothing to show, or null when the data reaches back that far: no
    /// purchase at all, or none by that day.
    /// </summary>
    public string? Empty(DateOnly asOf) => FirstPurchase is not { } first
        ? "no purchase has been recorded yet"
        : asOf < first ? $"no purchase was recorded by {asOf:yyyy-MM-dd}; the recorded purchases run from {first:yyyy-MM-dd} to {LastPurchase:yyyy-MM-dd}" : null;
}

/// <summary>One ABC class with its revenue in money.</summary>
public sealed record AbcClassView(AbcClass Class, int Customers, double CustomerShare, decimal Revenue, double RevenueShare);

/// <summary>ABC analysis of the programme's members by revenue.</summary>
/// <param name="Currency">Currency of the amounts.</param>
/// <param name="Customers">Members with at least one purchase.</param>
/// <param name="AShare">Revenue share of class A (default 0.80).</param>
/// <param name="BShare">Revenue share of class B (default 0.15); C is the rest.</param>
/// <param name="Classes">A, B and C.</param>
/// <param name="ParetoCurve">Cumulative share of customers (best first) against cumulative share of revenue.</param>
/// <param name="Gini">Gini coefficient of revenue over members with purchases.</param>
/// <param name="TotalRevenue">All members' revenue.</param>
public sealed record AbcReport(string Currency, int Customers, double AShare, double BShare, IReadOnlyList<AbcClassView> Classes,
    IReadOnlyList<CurvePoint> ParetoCurve, double Gini, decimal TotalRevenue)
{
    /// <summary>The last day whose purchases count (default: the day of the last recorded purchase).</summary>
    public DateOnly AsOf { get; init; }

    /// <summary>The days of the first and last recorded purchase.</summary>
    public DataSpan? Data { get; init; }
}

/// <summary>Size and revenue of an RFM segment.</summary>
public sealed record RfmSegmentView(RfmSegment Segment, int Customers, double CustomerShare, decimal Revenue, double RevenueShare);

/// <summary>Members who moved from one segment to another between two scorings.</summary>
public sealed record RfmMove(RfmSegment From, RfmSegment To, int Members);

/// <summary>One cell of the segment grid: recency score × combined frequency-monetary score.</summary>
public sealed record RfmGridCell(int R, int FM, RfmSegment Segment);

/// <summary>RFM segments as of a day, and how members moved since an earlier day.</summary>
public sealed record RfmReport(string Currency, DateOnly AsOf, DateOnly PreviousAsOf, int ScoredCustomers,
    IReadOnlyList<RfmSegmentView> Segments, IReadOnlyList<RfmMove> Moves, IReadOnlyList<RfmGridCell> Grid)
{
    /// <summary>The days of the first and last recorded purchase.</summary>
    public DataSpan? Data { get; init; }
}

/// <summary>A member with their RFM scores.</summary>
public sealed record RfmMember(Guid MemberId, string Name, int R, int F, int M, RfmSegment Segment, int RecencyDays, int Frequency, decimal Revenue);

/// <summary>The transaction model used for lifetime values.</summary>
public enum ClvModel
{
    /// <summary>Beta-geometric/NBD (Fader, Hardie, Lee 2005).</summary>
    BgNbd,
    /// <summary>Pareto/NBD (Schmittlein, Morrison, Colombo 1987).</summary>
    ParetoNbd,
}

/// <summary>What one member is expected to be worth.</summary>
public sealed record ClvMember(Guid MemberId, string Name, int RepeatPurchases, double ProbabilityAlive, double ExpectedPurchases,
    decimal ExpectedSpend, decimal Clv, decimal HistoricalValue);

/// <summary>A bucket of a distribution.</summary>
public sealed record Bucket(string Label, int Members);

/// <summary>
/// Lifetime values: the fitted models and the distribution of the members' values. Times are in weeks, the models'
/// unit; money, including the Gamma-Gamma scale γ and its mean spend, is in the programme's currency.
/// </summary>
public sealed record ClvReport(
    string Currency, ClvModel Model, DateOnly CalibrationEnd, int Customers, int RepeatBuyers,
    IReadOnlyDictionary<string, double> Parameters, double LogLikelihood, GammaGammaParameters Spend,
    int HorizonMonths, double AnnualDiscountRate,
    decimal HistoricalValue, decimal TotalClv, decimal MeanClv, double MeanProbabilityAlive, double ExpectedPurchases,
    IReadOnlyList<Bucket> ProbabilityAlive, IReadOnlyList<ClvMember> Top)
{
    /// <summary>Valuable members with a low P(alive), most valuable first, when the request asked for them.</summary>
    public IReadOnlyList<ClvMember>? AtRisk { get; init; }

    /// <summary>The days of the first and last recorded purchase.</summary>
    public DataSpan? Data { get; init; }
}

/// <summary>Predicted against actual purchases in a holdout period, by number of repeat purchases in calibration.</summary>
public sealed record HoldoutView(ClvModel Model, DateOnly CalibrationEnd, DateOnly HoldoutEnd, double HoldoutWeeks,
    double ActualPurchases, double PredictedPurchases, IReadOnlyList<HoldoutGroup> Groups)
{
    /// <summary>The days of the first and last recorded purchase.</summary>
    public DataSpan? Data { get; init; }
}

/// <summary>Cohort retention, repurchase, churn and time between purchases.</summary>
public sealed record RetentionReport(
    string CohortsBy, IReadOnlyList<CohortView> Cohorts, RepurchaseStats Repurchase, ChurnView Churn,
    InterPurchaseTimes BetweenPurchases, IReadOnlyList<MonthlyActivity> Months)
{
    /// <summary>The last day whose purchases count (default: the day of the last recorded purchase).</summary>
    public DateOnly AsOf { get; init; }

    /// <summary>The days of the first and last recorded purchase.</summary>
    public DataSpan? Data { get; init; }
}

/// <summary>One cohort row with counts and shares by months since its start.</summary>
public sealed record CohortView(DateOnly Cohort, int Size, IReadOnlyList<int> Active, IReadOnlyList<double> Share);

/// <summary>Churn in the last complete month: members active in the month before who did not buy in it.</summary>
public sealed record ChurnView(DateOnly Month, int ActiveBefore, int Retained, int Churned, double Rate);

/// <summary>An association rule with item names.</summary>
public sealed record RuleView(IReadOnlyList<string> If, IReadOnlyList<string> Then, int Baskets, double Support, double Confidence, double Lift);

/// <summary>Frequent itemsets and association rules of the programme's baskets.</summary>
/// <param name="MaxLength">Largest itemset mined, so a rule has at most MaxLength - 1 items on its left-hand side.</param>
public sealed record BasketReport(string By, int Baskets, int Items, double MinSupport, double MinConfidence, int MaxLength, int RuleCount, IReadOnlyList<RuleView> Rules);

/// <summary>A suggestion for a member, with the rule that explains it.</summary>
public sealed record RecommendationView(string Item, double Confidence, double Lift, IReadOnlyList<string> BecauseOf);
