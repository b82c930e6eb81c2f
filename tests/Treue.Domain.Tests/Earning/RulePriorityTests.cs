using Treue.Domain.Earning;
using Xunit;
using static Treue.Domain.Tests.Earning.EarningFixtures;

namespace Treue.Domain.Tests.Earning;

public sealed class RulePriorityTests
{
    [Fact]
    public void Rules_are_applied_from_the_highest_priority_down_whatever_order_they_are_given_in()
    {
        var scheme = Scheme(1m,
            PerUnit("low", 1m, priority: 1),
            PerUnit("high", 3m, priority: 10),
            PerUnit("mid", 2m, priority: 5),
            PerUnit("negative", 4m, priority: -5));
        var result = scheme.Evaluate(Basket(Line(1, 10m)), Returning);

        Assert.Equal([("base", 10L), ("high", 30L), ("mid", 20L), ("low", 10L), ("negative", 40L)], Explained(result.Lines[0]));
        Assert.Equal(["high", "mid", "low", "negative"], result.RulesApplied);
        Assert.Equal(110, result.Points);
    }

    [Fact]
    public void Rules_of_equal_priority_are_applied_in_order_of_their_code()
    {
        var scheme = Scheme(1m, PerUnit("b-rule", 1m), PerUnit("a-rule", 1m), PerUnit("C-rule", 1m));
        var result = scheme.Evaluate(Basket(Line(1, 10m)), Returning);
        // Ordinal: upper-case letters sort before lower-case ones.
        Assert.Equal(["base", "C-rule", "a-rule", "b-rule"], result.Lines[0].Contributions.Select(c => c.Rule));
    }

    [Fact]
    public void An_exclusive_rule_that_fires_stops_the_rules_below_it_but_keeps_those_above()
    {
        var scheme = Scheme(1m,
            PerUnit("above", 1m, priority: 20),
            PerUnit("exclusive", 2m, priority: 10, stacking: Stacking.Exclusive),
            PerUnit("below", 3m, priority: 5),
            Rule("bonus-below", EffectKind.FixedBonus, 100m, priority: 1));
        var result = scheme.Evaluate(Basket(Line(1, 10m)), Returning);

        Assert.Equal([("base", 10L), ("above", 10L), ("exclusive", 20L)], Explained(result.Lines[0]));
        Assert.Empty(result.Bonuses);
        Assert.Equal(40, result.Points);
        Assert.Equal(["above", "exclusive"], result.RulesApplied);
    }

    [Fact]
    public void An_exclusive_rule_whose_conditions_fail_does_not_stop_lower_rules()
    {
        var scheme = Scheme(1m,
            PerUnit("exclusive", 2m, new RuleConditions { Partners = ["bolt"] }, priority: 10, stacking: Stacking.Exclusive),
            PerUnit("below", 3m, priority: 5));
        var result = scheme.Evaluate(Basket(Line(1, 10m)), Returning);
        Assert.Equal([("base", 10L), ("below", 30L)], Explained(result.Lines[0]));
        Assert.Equal(["below"], result.RulesApplied);
    }

    [Fact]
    public void An_exclusive_rule_whose_articles_are_not_in_the_basket_does_not_stop_lower_rules()
    {
        var scheme = Scheme(1m,
            PerUnit("exclusive", 2m, new RuleConditions { Skus = ["sku-x"] }, priority: 10, stacking: Stacking.Exclusive),
            PerUnit("below", 3m, priority: 5));
        var result = scheme.Evaluate(Basket(Line(1, 10m, "sku-a")), Returning);
        Assert.Equal(40, result.Points);
    }

    [Fact]
    public void An_exclusive_rule_for_some_articles_stops_lower_rules_on_every_line()
    {
        var scheme = Scheme(1m,
            PerUnit("exclusive", 2m, new RuleConditions { Skus = ["sku-a"] }, priority: 10, stacking: Stacking.Exclusive),
            PerUnit("below", 3m, priority: 5));
        var result = scheme.Evaluate(Basket(Line(1, 10m, "sku-a"), Line(2, 10m, "sku-b")), Returning);

        Assert.Equal([("base", 10L), ("exclusive", 20L)], Explained(result.Lines[0]));
        Assert.Equal([("base", 10L)], Explained(result.Lines[1]));
        Assert.Equal(40, result.Points);
    }

    [Fact]
    public void An_exclusive_fixed_bonus_stops_lower_rules()
    {
        var scheme = Scheme(1m,
            Rule("welcome", EffectKind.FixedBonus, 500m, new RuleConditions { FirstPurchaseOnly = true }, priority: 10, stacking: Stacking.Exclusive),
            Rule("double", EffectKind.Multiplier, 2m, priority: 5));

        var first = scheme.Evaluate(Basket(Line(1, 10m)), First);
        Assert.Equal(510, first.Points);
        Assert.Equal(["welcome"], first.RulesApplied);

        var later = scheme.Evaluate(Basket(Line(1, 10m)), Returning);
        Assert.Equal(20, later.Points);
        Assert.Equal(["double"], later.RulesApplied);
    }

    [Fact]
    public void An_exclusive_rule_does_not_remove_the_base_rate()
    {
        var scheme = Scheme(1m, PerUnit("exclusive", 1m, stacking: Stacking.Exclusive));
        var result = scheme.Evaluate(Basket(Line(1, 10m)), Returning);
        Assert.Equal([("base", 10L), ("exclusive", 10L)], Explained(result.Lines[0]));
    }

    [Fact]
    public void A_stacking_rule_of_lower_priority_adds_to_a_higher_one()
    {
        var scheme = Scheme(1m, PerUnit("high", 1m, priority: 10), PerUnit("low", 1m, priority: 1));
        Assert.Equal(30, scheme.Evaluate(Basket(Line(1, 10m)), Returning).Points);
    }

    [Fact]
    public void Rules_applied_lists_each_fired_rule_once_and_never_the_base_rate()
    {
        var scheme = Scheme(1m,
            PerUnit("promo", 1m),
            Rule("bonus", EffectKind.FixedBonus, 10m, priority: -1),
            PerUnit("never", 1m, new RuleConditions { Channels = [Channel.App] }, priority: 5));
        var result = scheme.Evaluate(Basket(Line(1, 10m), Line(2, 20m), Line(3, 30m)), Returning);

        Assert.Equal(["promo", "bonus"], result.RulesApplied);
    }

    [Fact]
    public void Rules_applied_are_listed_in_the_order_they_were_applied()
    {
        // "high" is applied first, but only the second line has its article.
        var scheme = Scheme(1m,
            PerUnit("high", 1m, new RuleConditions { Skus = ["sku-b"] }, priority: 10),
            PerUnit("low", 1m, new RuleConditions { Skus = ["sku-a"] }, priority: 1));
        var result = scheme.Evaluate(Basket(Line(1, 10m, "sku-a"), Line(2, 10m, "sku-b")), Returning);

        Assert.Equal(["high", "low"], result.RulesApplied);
    }

    [Fact]
    public void Rules_applied_list_a_higher_priority_bonus_before_lower_priority_line_rules()
    {
        var scheme = Scheme(1m,
            Rule("bonus", EffectKind.FixedBonus, 100m, priority: 10),
            PerUnit("promo", 1m, priority: 1));
        var result = scheme.Evaluate(Basket(Line(1, 10m)), Returning);

        Assert.Equal(120, result.Points);
        Assert.Equal(["bonus", "promo"], result.RulesApplied);
    }
}
