namespace Treue.Analytics.Economics;

/// <summary>
/// What happened to members' points in one calendar month, in points, each figure 0 or positive.
/// </summary>
/// <param name="Month">First day of the month.</param>
/// <param name="Issued">Points earned on purchases (and given by positive adjustments).</param>
/// <param name="Reversed">Points taken back by returns (and by negative adjustments).</param>
/// <param name="Redeemed">Points spent on rewards or at checkout, net of points given back by cancellations and refunds.</param>
/// <param name="Expired">Points that expired unused.</param>
/// <param name="RevenueMinor">Members' purchase revenue in the month, after returns, in minor units.</param>
/// <param name="DiscountMinor">Discounts campaigns gave on the month's purchases, net of what returns gave back, in minor units.</param>
public readonly record struct PointsMonth(DateOnly Month, long Issued, long Reversed, long Redeemed, long Expired, long RevenueMinor, long DiscountMinor = 0);

/// <summary>One month of the programme's economics in money.</summary>
/// <param name="Month">First day of the month.</param>
/// <param name="Issued">Points issued, net of reversals.</param>
/// <param name="Redeemed">Points redeemed, net of refunds.</param>
/// <param name="Expired">Points expired.</param>
/// <param name="RewardCost">Money value of the redeemed points: what the programme gave away.</param>
/// <param name="Breakage">Money value of the expired points: liability that lapsed.</param>
/// <param name="Revenue">Members' revenue.</param>
/// <param name="CostShareOfRevenue">The programme's cost (reward cost and discount cost) as a share of members' revenue, or null
/// without revenue.</param>
/// <param name="DiscountCost">Discounts campaigns gave on the month's purchases, net of returns: the price the programme gave away.</param>
public sealed record EconomicsMonth(
    DateOnly Month, long Issued, long Redeemed, long Expired, decimal RewardCost, decimal Breakage, decimal Revenue, double? CostShareOfRevenue,
    decimal DiscountCost = 0)
{
    /// <summary>The month's programme cost: redeemed points and campaign discounts.</summary>
    public decimal TotalCost => RewardCost + DiscountCost;
}

/// <summary>The programme's points economics over its history and its liability today.</summary>
/// <param name="Issued">All points issued, net of reversals.</param>
/// <param name="Redeemed">All points redeemed, net of refunds.</param>
/// <param name="Expired">All points expired.</param>
/// <param name="Outstanding">Points members hold now, available and pending.</param>
/// <param name="RedemptionRate">Redeemed ÷ issued; null before any point was issued.</param>
/// <param name="BreakageRate">
/// Expired ÷ (redeemed + expired): of the points whose fate is settled, the share that lapsed. Null while no point
/// has been redeemed or expired, in which case the expected breakage is taken as zero.
/// </param>
/// <param name="Liability">Outstanding points at face value (points × point value).</param>
/// <param name="ExpectedBreakage">The part of the liability expected never to be redeemed: liability × breakage rate.</param>
/// <param name="ExpectedLiability">Liability net of expected breakage: what the programme should expect to pay.</param>
/// <param name="Months">The months, oldest first.</param>
public sealed record EconomicsReport(
    long Issued, long Redeemed, long Expired, long Outstanding,
    double? RedemptionRate, double? BreakageRate,
    decimal Liability, decimal ExpectedBreakage, decimal ExpectedLiability,
    IReadOnlyList<EconomicsMonth> Months)
{
    /// <summary>All reward cost: the money value of the points redeemed.</summary>
    public decimal RewardCost => Months.Sum(m => m.RewardCost);

    /// <summary>All discounts campaigns gave, net of returns.</summary>
    public decimal DiscountCost => Months.Sum(m => m.DiscountCost);
}

/// <summary>
/// Liability, breakage, redemption and the programme's cost, from its own ledger history: redeemed points and the discounts its
/// campaigns gave are both cost.
/// </summary>
public static class ProgrammeEconomics
{
    /// <summary>Computes the report.</summary>
    /// <param name="months">Points movements per month, in any order; months without movement may be left out.</param>
    /// <param name="outstanding">Points members hold now (available plus pending).</param>
    /// <param name="pointValue">Money value of one point.</param>
    /// <param name="minorPerUnit">Minor units per currency unit (100 for EUR), to turn revenue into money.</param>
    public static EconomicsReport Compute(IEnumerable<PointsMonth> months, long outstanding, decimal pointValue, int minorPerUnit = 100)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(pointValue);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(minorPerUnit);
        var rows = new List<EconomicsMonth>();
        long issued = 0, redeemed = 0, expired = 0;
        foreach (var m in months.OrderBy(m => m.Month))
        {
            var netIssued = m.Issued - m.Reversed;
            issued += netIssued;
            redeemed += m.Redeemed;
            expired += m.Expired;
            var cost = m.Redeemed * pointValue;
            var revenue = (decimal)m.RevenueMinor / minorPerUnit;
            var discount = (decimal)m.DiscountMinor / minorPerUnit;
            rows.Add(new EconomicsMonth(m.Month, netIssued, m.Redeemed, m.Expired, cost, m.Expired * pointValue, revenue,
                revenue > 0 ? (double)((cost + discount) / revenue) : null, discount));
        }
        double? redemption = issued > 0 ? (double)redeemed / issued : null;
        double? breakage = redeemed + expired > 0 ? (double)expired / (redeemed + expired) : null;
        var liability = outstanding * pointValue;
        var expectedBreakage = decimal.Round(liability * (decimal)(breakage ?? 0), 2, MidpointRounding.ToEven);
        return new EconomicsReport(issued, redeemed, expired, outstanding, redemption, breakage,
            liability, expectedBreakage, liability - expectedBreakage, rows);
    }
}
