using Treue.Domain.Earning;
using Treue.Domain.Ledger;

namespace Treue.Domain.Purchases;

/// <summary>
/// Earns points by the programme's rules. A member's purchase earns into a lot that is pending for the return window
/// and expires by the programme's policy; an anonymous purchase earns nothing. A quote without a member says what a
/// member with earlier purchases would earn.
/// </summary>
public sealed class EarnByRules : IBenefitEvaluator
{
    /// <inheritdoc />
    public DecisionStage Stage => DecisionStage.Earning;

    /// <inheritdoc />
    public Refusal? Evaluate(PurchaseContext context)
    {
        if (context.Input.Anonymous) return null;
        var first = context.Member?.IsFirstPurchase ?? false;
        var result = context.Terms.Scheme.Evaluate(context.Basket, new EarningContext(first));
        var occurred = context.Input.OccurredAtUtc;
        var availableAt = context.Terms.AvailableAt(occurred);
        context.Grant(new EarnedPoints(result.Points, result.Lines, result.Bonuses, result.RulesApplied, first, availableAt,
            context.Terms.Expiry.ExpiresAt(occurred), availableAt > context.NowUtc));
        return null;
    }
}

/// <summary>Pays part of the basket with points, within the programme's limits and the member's available points.</summary>
public sealed class PayWithPointsAtCheckout : IBenefitEvaluator
{
    private const string Field = "pointsPayment.points";

    /// <inheritdoc />
    public DecisionStage Stage => DecisionStage.Payment;

    /// <inheritdoc />
    public Refusal? Evaluate(PurchaseContext context)
    {
        if (context.Input.PointsToPay is not { } points) return null;
        if (context.Member is not { } member)
            return new Refusal("member_required", "Paying with points needs a card or a member id.", "pointsPayment");
        var t = context.Terms;
        var (discount, refusal) = Checkout.PayWithPoints(t.PayWithPoints, t.PointValue, t.Currency, context.Basket.Total, points);
        if (refusal is not null) return refusal;
        if (member.Available - context.PointsSpent < points)
            return new Refusal("insufficient_points", $"The member has {member.Available - context.PointsSpent} available points.", Field);
        context.Grant(new PaidWithPoints(points, discount), points);
        return null;
    }
}
