namespace Treue.Domain.Earning;

/// <summary>The sales channel of a purchase.</summary>
public enum Channel
{
    /// <summary>A till in a physical store.</summary>
    Store,
    /// <summary>A web shop.</summary>
    Online,
    /// <summary>A mobile app.</summary>
    App,
}

/// <summary>What an earning rule does when it fires.</summary>
public enum EffectKind
{
    /// <summary>Adds <c>Value</c> points per currency unit of each matching line.</summary>
    PointsPerCurrencyUnit,
    /// <summary>Adds <c>Value</c> points once per purchase.</summary>
    FixedBonus,
    /// <summary>Multiplies the base points of each matching line by <c>Value</c>; the rule adds the difference.</summary>
    Multiplier,
}

/// <summary>How a rule combines with the rules after it.</summary>
public enum Stacking
{
    /// <summary>The rule adds to whatever else fires.</summary>
    Stack,
    /// <summary>When the rule fires, no rule evaluated after it is applied: rules of lower priority, and rules of the same priority whose code sorts after it.</summary>
    Exclusive,
}

/// <summary>
/// When a rule applies. Every condition that is set must hold; an empty list means "any".
/// Partner, store, channel, dates, weekdays, minimum basket and first purchase are conditions on the purchase;
/// SKUs and categories select the lines the rule applies to.
/// </summary>
public sealed record RuleConditions
{
    /// <summary>Partner codes the purchase must belong to.</summary>
    public IReadOnlyList<string> Partners { get; init; } = [];
    /// <summary>Store codes the purchase must be made in.</summary>
    public IReadOnlyList<string> Stores { get; init; } = [];
    /// <summary>Channels the purchase must be made through.</summary>
    public IReadOnlyList<Channel> Channels { get; init; } = [];
    /// <summary>SKUs of the lines the rule applies to.</summary>
    public IReadOnlyList<string> Skus { get; init; } = [];
    /// <summary>Categories of the lines the rule applies to.</summary>
    public IReadOnlyList<string> Categories { get; init; } = [];
    /// <summary>First day (programme local time) on which the rule applies.</summary>
    public DateOnly? From { get; init; }
    /// <summary>Last day (programme local time, inclusive) on which the rule applies.</summary>
    public DateOnly? To { get; init; }
    /// <summary>Weekdays (programme local time) on which the rule applies.</summary>
    public IReadOnlyList<DayOfWeek> Weekdays { get; init; } = [];
    /// <summary>The smallest basket total, in the programme currency, for the rule to apply.</summary>
    public decimal? MinBasket { get; init; }
    /// <summary>When true, the rule applies only to the member's first purchase in the programme.</summary>
    public bool FirstPurchaseOnly { get; init; }

    /// <summary>True when the rule selects lines by SKU or category.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public bool HasLineFilter => Skus.Count > 0 || Categories.Count > 0;
}

/// <summary>The effect of a rule.</summary>
/// <param name="Kind">What the rule does.</param>
/// <param name="Value">Points per currency unit, fixed points, or the multiplier, according to <paramref name="Kind"/>.</param>
public sealed record RuleEffect(EffectKind Kind, decimal Value);

/// <summary>An earning rule of a programme.</summary>
/// <param name="Code">Stable identifier, unique in the programme (used in explanations and in programme files).</param>
/// <param name="Name">Human-readable name shown to members ("2× points on Saturdays").</param>
/// <param name="Priority">Higher priorities are evaluated first.</param>
/// <param name="Stacking">Whether the rule stacks with lower-priority rules.</param>
/// <param name="Conditions">When it applies.</param>
/// <param name="Effect">What it gives.</param>
public sealed record EarningRule(string Code, string Name, int Priority, Stacking Stacking, RuleConditions Conditions, RuleEffect Effect);
