namespace Treue.Domain.Settlement;

/// <summary>Who keeps the money behind a partner's points that expired unredeemed (breakage).</summary>
public enum BreakageBeneficiary
{
    /// <summary>The operator keeps what the partner paid for the points.</summary>
    Operator,
    /// <summary>The operator pays the partner back what it paid for the points.</summary>
    Partner,
}

/// <summary>What a partner pays and is paid for points: the partner's economics, in the programme's currency.</summary>
/// <param name="PartnerCode">The partner.</param>
/// <param name="IssuePrice">What the partner pays the operator for each point it issues (at least 0).</param>
/// <param name="RedemptionPrice">What the operator pays the partner for each point redeemed at its tills (at least 0).</param>
/// <param name="FeePerPoint">The operator's fee for each point the partner issues, net of returns (at least 0).</param>
/// <param name="FeePercent">The operator's fee as a percentage of the value of the points the partner issues, net of returns (0 to 100).</param>
/// <param name="MonthlyFee">A fixed fee per month, charged in the period that holds the month's first day (at least 0).</param>
/// <param name="Breakage">Who keeps the value of the partner's expired points.</param>
public sealed record PartnerTerms(string PartnerCode, decimal IssuePrice, decimal RedemptionPrice, decimal FeePerPoint, decimal FeePercent,
    decimal MonthlyFee, BreakageBeneficiary Breakage);

/// <summary>The points a partner moved in a period, from the ledger's partner accounts.</summary>
/// <param name="PartnerCode">The partner.</param>
/// <param name="Issued">Points earned on the partner's purchases.</param>
/// <param name="Returned">Points taken back by returns of the partner's purchases.</param>
/// <param name="Redeemed">Points members paid with at the partner's tills.</param>
/// <param name="RedemptionsRefunded">Points paid at the partner's tills and given back by returns.</param>
/// <param name="Expired">Points the partner issued that expired unredeemed.</param>
public sealed record PartnerActivity(string PartnerCode, long Issued, long Returned, long Redeemed, long RedemptionsRefunded, long Expired);

/// <summary>
/// A partner's statement for a period. Amounts are in the currency, rounded to its minor unit. <see cref="Net"/> is what
/// the partner receives: negative when it pays the operator.
/// </summary>
/// <param name="Terms">The economics the statement was computed with.</param>
/// <param name="Activity">The points moved.</param>
/// <param name="Issued">What the partner pays for the points it issued.</param>
/// <param name="Returns">What the partner gets back for points taken back by returns.</param>
/// <param name="Redeemed">What the operator pays for points redeemed at the partner, net of refunded redemptions.</param>
/// <param name="BreakageRefund">What the partner gets back for its expired points, when breakage benefits the partner.</param>
/// <param name="BreakageKept">The value of the partner's expired points that the operator keeps.</param>
/// <param name="PointFee">The fee per point on the points issued net of returns.</param>
/// <param name="PercentFee">The percentage fee on the value issued net of returns.</param>
/// <param name="MonthlyFee">The fixed monthly fee, when the period charges it.</param>
/// <param name="Net">Redeemed + returns + breakage refund - issued - fees.</param>
public sealed record PartnerStatement(PartnerTerms Terms, PartnerActivity Activity, decimal Issued, decimal Returns, decimal Redeemed,
    decimal BreakageRefund, decimal BreakageKept, decimal PointFee, decimal PercentFee, decimal MonthlyFee, decimal Net)
{
    /// <summary>All the operator's fees.</summary>
    public decimal Fees => PointFee + PercentFee + MonthlyFee;
}

/// <summary>
/// The operator's side of a period. <see cref="Net"/> is what the operator receives from the partners altogether: its
/// fees, the breakage it keeps, and the change in the fund that stands behind the points still held by members.
/// </summary>
/// <param name="Fees">All partners' fees.</param>
/// <param name="BreakageKept">The value of expired points the operator keeps.</param>
/// <param name="PointsFund">Value paid in for points (issued - returns) less value paid out (redeemed, breakage refunded and kept).</param>
/// <param name="Net">Fees + breakage kept + points fund.</param>
public sealed record OperatorStatement(decimal Fees, decimal BreakageKept, decimal PointsFund, decimal Net);

/// <summary>A period's settlement: every partner's statement and the operator's; all nets add up to zero.</summary>
/// <param name="Partners">One statement per partner, in the order of the terms.</param>
/// <param name="Operator">The operator's side.</param>
public sealed record SettlementResult(IReadOnlyList<PartnerStatement> Partners, OperatorStatement Operator)
{
    /// <summary>The clearing check: all partners' nets plus the operator's net. Zero for every settlement.</summary>
    public decimal Clearing => Partners.Sum(p => p.Net) + Operator.Net;
}

/// <summary>
/// Settles a coalition's period: from each partner's points and economics, what it owes the operator or is owed.
/// Each line is rounded on its own to the currency's minor unit (half away from zero); a net is the sum of its rounded
/// lines and the operator's side sums the same rounded lines, so the nets of partners and operator add up to zero to
/// the cent whatever the prices.
/// </summary>
public static class Settlement
{
    /// <summary>Computes the statements of a period.</summary>
    /// <param name="currency">The programme's currency.</param>
    /// <param name="terms">Every partner's economics; a partner without terms settles nothing.</param>
    /// <param name="activity">The points each partner moved in the period; partners without activity may be left out.</param>
    /// <param name="chargesMonthlyFee">True when the period charges the fixed monthly fees (<see cref="SettlementPeriod.ChargesMonthlyFee"/>).</param>
    public static SettlementResult Decide(Currency currency, IReadOnlyList<PartnerTerms> terms, IReadOnlyList<PartnerActivity> activity, bool chargesMonthlyFee)
    {
        ArgumentNullException.ThrowIfNull(currency);
        ArgumentNullException.ThrowIfNull(terms);
        ArgumentNullException.ThrowIfNull(activity);
        var byPartner = activity.GroupBy(a => a.PartnerCode, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Aggregate(
            new PartnerActivity(g.Key, 0, 0, 0, 0, 0), (s, a) => new PartnerActivity(g.Key, s.Issued + a.Issued, s.Returned + a.Returned, s.Redeemed + a.Redeemed,
                s.RedemptionsRefunded + a.RedemptionsRefunded, s.Expired + a.Expired)), StringComparer.Ordinal);
        var statements = new List<PartnerStatement>(terms.Count);
        foreach (var t in terms)
        {
            var a = byPartner.GetValueOrDefault(t.PartnerCode) ?? new PartnerActivity(t.PartnerCode, 0, 0, 0, 0, 0);
            var issued = Round(currency, a.Issued * t.IssuePrice);
            var returns = Round(currency, a.Returned * t.IssuePrice);
            var redeemed = Round(currency, (a.Redeemed - a.RedemptionsRefunded) * t.RedemptionPrice);
            var breakage = Round(currency, a.Expired * t.IssuePrice);
            var refund = t.Breakage == BreakageBeneficiary.Partner ? breakage : 0m;
            var kept = t.Breakage == BreakageBeneficiary.Operator ? breakage : 0m;
            var pointFee = Round(currency, (a.Issued - a.Returned) * t.FeePerPoint);
            var percentFee = Round(currency, (issued - returns) * t.FeePercent / 100m);
            var monthly = chargesMonthlyFee ? Round(currency, t.MonthlyFee) : 0m;
            var net = redeemed + returns + refund - issued - pointFee - percentFee - monthly;
            statements.Add(new PartnerStatement(t, a, issued, returns, redeemed, refund, kept, pointFee, percentFee, monthly, net));
        }
        var fees = statements.Sum(s => s.Fees);
        var keptAll = statements.Sum(s => s.BreakageKept);
        var fund = statements.Sum(s => s.Issued - s.Returns - s.Redeemed - s.BreakageRefund - s.BreakageKept);
        return new SettlementResult(statements, new OperatorStatement(fees, keptAll, fund, fees + keptAll + fund));
    }

    /// <summary>Rounds an amount to the currency's minor unit, half away from zero.</summary>
    public static decimal Round(Currency currency, decimal amount)
    {
        ArgumentNullException.ThrowIfNull(currency);
        return decimal.Round(amount, currency.MinorDigits, MidpointRounding.AwayFromZero);
    }
}
