using Treue.Domain.Earning;
using Treue.Domain.Programmes;

namespace Treue.Domain.Tests.Earning;

/// <summary>Small builders so each test shows only the facts that matter to it.</summary>
internal static class EarningFixtures
{
    /// <summary>2026-03-04 was a Wednesday.</summary>
    public static readonly DateTime Wednesday = new(2026, 3, 4, 15, 30, 0);

    public static readonly EarningContext Returning = new(IsFirstPurchase: false);
    public static readonly EarningContext First = new(IsFirstPurchase: true);

    public static BasketLine Line(int lineNo, decimal net, string sku = "sku-1", string? category = null) =>
        new(lineNo, sku, category, Quantity: 1m, UnitPrice: net, Discount: 0m);

    public static Basket Basket(params BasketLine[] lines) =>
        new("acme", "berlin-1", Channel.Store, Wednesday, lines);

    public static EarningRule Rule(
        string code, EffectKind kind, decimal value, RuleConditions? conditions = null,
        int priority = 0, Stacking stacking = Stacking.Stack) =>
        new(code, "Rule " + code, priority, stacking, conditions ?? new RuleConditions(), new RuleEffect(kind, value));

    public static EarningRule PerUnit(string code, decimal value, RuleConditions? conditions = null, int priority = 0, Stacking stacking = Stacking.Stack) =>
        Rule(code, EffectKind.PointsPerCurrencyUnit, value, conditions, priority, stacking);

    public static EarningScheme Scheme(decimal baseRate, params EarningRule[] rules) =>
        new(baseRate, RoundingPolicy.Down, rules);

    public static EarningScheme Scheme(decimal baseRate, RoundingPolicy rounding, params EarningRule[] rules) =>
        new(baseRate, rounding, rules);

    /// <summary>The (rule, points) pairs of a line's explanation, in order.</summary>
    public static (string Rule, long Points)[] Explained(LineEarning line) =>
        line.Contributions.Select(c => (c.Rule, c.Points)).ToArray();
}
