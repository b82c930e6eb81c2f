using Treue.Domain.Earning;
using Treue.Domain.Purchases;

namespace Treue.Analytics.Economics;

/// <summary>A recorded purchase as the what-if simulator replays it.</summary>
/// <param name="Customer">Dense customer index of the member who earned, 0 or greater.</param>
/// <param name="Basket">The receipt as the earning rules saw it.</param>
/// <param name="IsFirstPurchase">Whether it was decided as the member's first purchase (the first one recorded for them).</param>
/// <param name="RecordedPoints">The points the purchase really earned.</param>
public sealed record ReplayedPurchase(int Customer, Basket Basket, bool IsFirstPurchase, long RecordedPoints)
{
    /// <summary>When it happened (UTC); the basket's local time when not given.</summary>
    public DateTime? OccurredAtUtc { get; init; }

    /// <summary>
    /// The tier level whose earning multiplier the purchase earned with, as recorded; null when none added points. The
    /// replay applies that level's multiplier (as the proposed terms define it) to what the proposed rules earn.
    /// </summary>
    public string? TierLevel { get; init; }
}

/// <summary>One month of a what-if comparison.</summary>
/// <param name="Month">First day of the month.</param>
/// <param name="Purchases">Purchases replayed.</param>
/// <param name="ActualPoints">Points the purchases really earned.</param>
/// <param name="SimulatedPoints">Points they would have earned under the proposed rules.</param>
public sealed record WhatIfMonth(DateOnly Month, long Purchases, long ActualPoints, long SimulatedPoints);

/// <summary>Points a rule gave in the replay.</summary>
/// <param name="Rule">The rule's code, or <c>base</c>.</param>
/// <param name="Points">Points it gave under the proposed rules.</param>
/// <param name="Purchases">Purchases it gave points to.</param>
public sealed record WhatIfRule(string Rule, long Points, long Purchases);

/// <summary>
/// What a period would have cost under a changed rule set, compared with what really happened.
/// Costs are in money: points × point value; the expected cost subtracts the breakage the programme has observed.
/// </summary>
/// <param name="Purchases">Purchases replayed.</param>
/// <param name="Members">Distinct members among them.</param>
/// <param name="ActualPoints">Points really issued on them.</param>
/// <param name="SimulatedPoints">Points the proposed rules would have issued.</param>
/// <param name="ActualCost">Actual points at face value.</param>
/// <param name="SimulatedCost">Simulated points at face value.</param>
/// <param name="ActualExpectedCost">Actual cost net of expected breakage: the liability the period really added.</param>
/// <param name="SimulatedExpectedCost">Simulated cost net of expected breakage.</param>
/// <param name="MembersGaining">Members who would have earned more.</param>
/// <param name="MembersLosing">Members who would have earned less.</param>
/// <param name="Months">The comparison per month, oldest first.</param>
/// <param name="Rules">What each proposed rule gave, largest first.</param>
public sealed record WhatIfResult(
    long Purchases, long Members, long ActualPoints, long SimulatedPoints,
    decimal ActualCost, decimal SimulatedCost, decimal ActualExpectedCost, decimal SimulatedExpectedCost,
    long MembersGaining, long MembersLosing,
    IReadOnlyList<WhatIfMonth> Months, IReadOnlyList<WhatIfRule> Rules)
{
    /// <summary>Simulated minus actual points.</summary>
    public long PointsDifference => SimulatedPoints - ActualPoints;

    /// <summary>Simulated ÷ actual points, or null when nothing was really issued.</summary>
    public double? PointsRatio => ActualPoints == 0 ? null : (double)SimulatedPoints / ActualPoints;
}

/// <summary>
/// Replays recorded purchases under a proposed earning scheme. Read-only by construction: it sees baskets, never storage.
/// </summary>
public static class WhatIf
{
    /// <summary>Replays the purchases and compares.</summary>
    /// <param name="purchases">The period's member purchases, streamed in any order.</param>
    /// <param name="proposed">The programme's terms with the proposed earning scheme. Each purchase is decided by
    /// <see cref="PurchaseDecider"/>, as it is when recorded, so replaying the rules in force gives exactly the recorded points.</param>
    /// <param name="breakageRate">Share of issued points expected never to be redeemed, in [0, 1].</param>
    public static WhatIfResult Simulate(IEnumerable<ReplayedPurchase> purchases, PurchaseTerms proposed, double breakageRate)
    {
        ArgumentNullException.ThrowIfNull(purchases);
        ArgumentNullException.ThrowIfNull(proposed);
        var pointValue = proposed.PointValue;
        // Only what earns: the replay asks what each purchase would have earned, not how it would have been paid. The
        // recorded lines carry the prices the campaigns left, so pricing does not run again (it would discount them twice).
        var terms = proposed with { Evaluators = [.. proposed.Evaluators.Where(e => e.Stage is DecisionStage.Earning)] };
        if (!(breakageRate is >= 0 and <= 1)) throw new ArgumentOutOfRangeException(nameof(breakageRate), "The breakage rate must be in [0, 1].");
        long count = 0, actual = 0, simulated = 0;
        var months = new SortedDictionary<DateOnly, (long N, long Actual, long Simulated)>();
        var rules = new Dictionary<string, (long Points, long Purchases)>(StringComparer.Ordinal);
        // Per-member difference; a dictionary because the period's members are usually a small part of all members.
        var delta = new Dictionary<int, long>();
        var ruleSeen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in purchases)
        {
            var at = p.OccurredAtUtc ?? DateTime.SpecifyKind(p.Basket.LocalTime, DateTimeKind.Utc);
            var member = new MemberSnapshot(Guid.Empty, p.IsFirstPurchase ? 0 : 1, 0, 0)
            {
                Tier = p.TierLevel is { } level && proposed.Members?.Tiers is { } tiers && tiers.Levels.Any(l => l.Code == level)
                    ? new Treue.Domain.Tiers.TierSnapshot(new Treue.Domain.Tiers.TierStanding(level, DateOnly.MinValue, DateOnly.MaxValue), [])
                    : null,
            };
            var result = PurchaseDecider.Decide(new PurchaseInput(p.Basket, at), member, terms, at).Decision?.Earned
                ?? throw new InvalidOperationException("A replayed purchase was refused by earning rules alone.");
            count++;
            actual += p.RecordedPoints;
            simulated += result.Points;
            var month = new DateOnly(p.Basket.LocalTime.Year, p.Basket.LocalTime.Month, 1);
            var m = months.GetValueOrDefault(month);
            months[month] = (m.N + 1, m.Actual + p.RecordedPoints, m.Simulated + result.Points);
            delta[p.Customer] = delta.GetValueOrDefault(p.Customer) + result.Points - p.RecordedPoints;
            ruleSeen.Clear();
            foreach (var c in result.Lines.SelectMany(l => l.Contributions).Concat(result.Bonuses))
            {
                var r = rules.GetValueOrDefault(c.Rule);
                rules[c.Rule] = (r.Points + c.Points, r.Purchases + (ruleSeen.Add(c.Rule) ? 1 : 0));
            }
        }
        var keep = 1m - (decimal)breakageRate;
        return new WhatIfResult(
            count, delta.Count, actual, simulated,
            actual * pointValue, simulated * pointValue,
            decimal.Round(actual * pointValue * keep, 2), decimal.Round(simulated * pointValue * keep, 2),
            delta.Values.Count(d => d > 0), delta.Values.Count(d => d < 0),
            months.Select(kv => new WhatIfMonth(kv.Key, kv.Value.N, kv.Value.Actual, kv.Value.Simulated)).ToList(),
            rules.Select(kv => new WhatIfRule(kv.Key, kv.Value.Points, kv.Value.Purchases))
                .OrderByDescending(r => r.Points).ThenBy(r => r.Rule, StringComparer.Ordinal).ToList());
    }
}
