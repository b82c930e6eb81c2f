using Treue.Domain.Earning;
using Treue.Domain.Programmes;
using Xunit;
using static Treue.Domain.Tests.Earning.EarningFixtures;

namespace Treue.Domain.Tests.Earning;

public sealed class BaseRateAndEffectTests
{
    [Fact]
    public void The_base_rate_gives_points_per_currency_unit_on_every_line()
    {
        var result = Scheme(2m).Evaluate(Basket(Line(1, 10.00m), Line(2, 5.00m)), Returning);

        Assert.Equal(30, result.Points);
        Assert.Equal(2, result.Lines.Count);
        Assert.Equal(1, result.Lines[0].LineNo);
        Assert.Equal(20, result.Lines[0].Points);
        var baseRate = new Reason(ReasonKeys.BaseRate);
        Assert.Equal(new Contribution("base", "Base rate", 20) { Reason = baseRate }, Assert.Single(result.Lines[0].Contributions));
        Assert.Equal(new Contribution("base", "Base rate", 10) { Reason = baseRate }, Assert.Single(result.Lines[1].Contributions));
        Assert.Empty(result.Bonuses);
        Assert.Empty(result.RulesApplied);
    }

    [Fact]
    public void The_base_rule_code_is_base()
    {
        Assert.Equal("base", EarningScheme.BaseRuleCode);
    }

    [Fact]
    public void A_scheme_keeps_its_base_rate_and_rounding()
    {
        var scheme = new EarningScheme(1.5m, RoundingPolicy.Nearest, []);
        Assert.Equal(1.5m, scheme.BaseRate);
        Assert.Equal(RoundingPolicy.Nearest, scheme.Rounding);
    }

    [Fact]
    public void Line_numbers_are_kept_in_the_result()
    {
        var result = Scheme(1m).Evaluate(Basket(Line(3, 1m), Line(1, 2m), Line(7, 3m)), Returning);
        Assert.Equal([3, 1, 7], result.Lines.Select(l => l.LineNo));
        Assert.Equal([1L, 2L, 3L], result.Lines.Select(l => l.Points));
    }

    [Fact]
    public void A_line_earns_on_its_net_amount_after_quantity_and_discount()
    {
        // 3 × 4.50 − 1.50 = 12.00; 0.75 kg × 8.00 = 6.00.
        var basket = Basket(
            new BasketLine(1, "knives", null, 3m, 4.50m, 1.50m),
            new BasketLine(2, "cheese", "deli", 0.75m, 8.00m, 0m));
        var result = Scheme(1m).Evaluate(basket, Returning);
        Assert.Equal(12, result.Lines[0].Points);
        Assert.Equal(6, result.Lines[1].Points);
        Assert.Equal(18, result.Points);
    }

    public static TheoryData<RoundingPolicy, decimal, long> Roundings => new()
    {
        { RoundingPolicy.Down, 12.9m, 12 },
        { RoundingPolicy.Nearest, 12.9m, 13 },
        { RoundingPolicy.Up, 12.9m, 13 },
        { RoundingPolicy.Down, 12.5m, 12 },
        { RoundingPolicy.Nearest, 12.5m, 13 },
        { RoundingPolicy.Up, 12.5m, 13 },
        { RoundingPolicy.Down, 12.1m, 12 },
        { RoundingPolicy.Nearest, 12.1m, 12 },
        { RoundingPolicy.Up, 12.1m, 13 },
        { RoundingPolicy.Down, 12.0m, 12 },
        { RoundingPolicy.Nearest, 12.0m, 12 },
        { RoundingPolicy.Up, 12.0m, 12 },
        { RoundingPolicy.Nearest, 13.5m, 14 }, // halves away from zero, not to even
        { RoundingPolicy.Up, 0.01m, 1 },
        { RoundingPolicy.Down, 0.99m, 0 },
    };

    [Theory]
    [MemberData(nameof(Roundings))]
    public void Base_points_are_rounded_by_the_policy(RoundingPolicy rounding, decimal net, long expected)
    {
        var result = Scheme(1m, rounding).Evaluate(Basket(Line(1, net)), Returning);
        Assert.Equal(expected, result.Points);
        Assert.Equal(expected, result.Lines[0].Points);
    }

    [Theory]
    [InlineData(RoundingPolicy.Down, 0)] // 3 × floor(0.6), not floor(1.8) = 1
    [InlineData(RoundingPolicy.Nearest, 3)] // 3 × round(0.6), not round(1.8) = 2
    [InlineData(RoundingPolicy.Up, 3)] // 3 × ceil(0.6), not ceil(1.8) = 2
    public void Each_line_is_rounded_on_its_own_so_the_lines_add_up_to_the_total(RoundingPolicy rounding, long expected)
    {
        var result = Scheme(1m, rounding).Evaluate(Basket(Line(1, 0.60m), Line(2, 0.60m), Line(3, 0.60m)), Returning);
        Assert.Equal(expected, result.Points);
        Assert.Equal(expected, result.Lines.Sum(l => l.Points));
    }

    [Theory]
    [InlineData(RoundingPolicy.Down, 15)] // floor(10.5) + floor(5.25)
    [InlineData(RoundingPolicy.Nearest, 16)] // round(10.5) + round(5.25)
    [InlineData(RoundingPolicy.Up, 17)] // ceil(10.5) + ceil(5.25), not ceil(15.75) = 16
    public void Each_rule_contribution_is_rounded_on_its_own(RoundingPolicy rounding, long expected)
    {
        var scheme = Scheme(1m, rounding, PerUnit("half", 0.5m));
        var result = scheme.Evaluate(Basket(Line(1, 10.50m)), Returning);
        Assert.Equal(expected, result.Points);
        Assert.Equal(expected, result.Lines[0].Contributions.Sum(c => c.Points));
    }

    [Fact]
    public void A_contribution_that_rounds_to_nothing_is_left_out_of_the_explanation()
    {
        var result = Scheme(1m).Evaluate(Basket(Line(1, 0.40m)), Returning);
        Assert.Equal(0, result.Points);
        Assert.Empty(result.Lines[0].Contributions);
        Assert.Equal(0, result.Lines[0].Points);
    }

    [Fact]
    public void A_zero_base_rate_earns_nothing_by_itself()
    {
        var result = Scheme(0m).Evaluate(Basket(Line(1, 99.99m)), Returning);
        Assert.Equal(0, result.Points);
        Assert.Empty(result.Lines[0].Contributions);
    }

    [Fact]
    public void An_empty_basket_earns_nothing()
    {
        var result = Scheme(1m, PerUnit("promo", 5m)).Evaluate(Basket(), Returning);
        Assert.Equal(0, result.Points);
        Assert.Empty(result.Lines);
        Assert.Empty(result.Bonuses);
    }

    [Fact]
    public void Points_per_currency_unit_add_to_the_base()
    {
        var result = Scheme(1m, PerUnit("promo", 3m)).Evaluate(Basket(Line(1, 10.00m)), Returning);
        Assert.Equal(40, result.Points);
        Assert.Equal([("base", 10L), ("promo", 30L)], Explained(result.Lines[0]));
        Assert.Equal("Rule promo", result.Lines[0].Contributions[1].Name);
    }

    [Fact]
    public void Points_per_currency_unit_do_not_depend_on_the_base_rate()
    {
        var result = Scheme(0m, PerUnit("promo", 2m)).Evaluate(Basket(Line(1, 10.00m)), Returning);
        Assert.Equal(20, result.Points);
        Assert.Equal([("promo", 20L)], Explained(result.Lines[0]));
    }

    [Fact]
    public void A_fixed_bonus_is_given_once_per_purchase_not_per_line()
    {
        var scheme = Scheme(1m, Rule("welcome", EffectKind.FixedBonus, 500m));
        var result = scheme.Evaluate(Basket(Line(1, 10m), Line(2, 20m), Line(3, 30m)), Returning);

        Assert.Equal(60 + 500, result.Points);
        Assert.Equal(new Contribution("welcome", "Rule welcome", 500)
            { Reason = new Reason(ReasonKeys.Rule) { Subject = "Rule welcome", Effect = EffectKind.FixedBonus, Value = 500m } }, Assert.Single(result.Bonuses));
        Assert.All(result.Lines, l => Assert.Equal("base", Assert.Single(l.Contributions).Rule));
        Assert.Equal(["welcome"], result.RulesApplied);
    }

    [Fact]
    public void A_fixed_bonus_for_some_articles_is_given_once_when_any_of_them_is_bought()
    {
        var scheme = Scheme(1m, Rule("wine-bonus", EffectKind.FixedBonus, 100m, new RuleConditions { Categories = ["wine"] }));

        var two = scheme.Evaluate(Basket(Line(1, 10m, "a", "wine"), Line(2, 10m, "b", "wine"), Line(3, 10m, "c", "bread")), Returning);
        Assert.Equal(130, two.Points);
        Assert.Single(two.Bonuses);

        var none = scheme.Evaluate(Basket(Line(1, 10m, "c", "bread")), Returning);
        Assert.Equal(10, none.Points);
        Assert.Empty(none.Bonuses);
        Assert.Empty(none.RulesApplied);
    }

    [Fact]
    public void A_multiplier_adds_the_extra_base_points_on_matching_lines_only()
    {
        // Triple points on sku-a: line 1 gets base 10 plus (3 − 1) × 10; line 2 keeps its base 5.
        var scheme = Scheme(1m, Rule("triple", EffectKind.Multiplier, 3m, new RuleConditions { Skus = ["sku-a"] }));
        var result = scheme.Evaluate(Basket(Line(1, 10m, "sku-a"), Line(2, 5m, "sku-b")), Returning);

        Assert.Equal(35, result.Points);
        Assert.Equal([("base", 10L), ("triple", 20L)], Explained(result.Lines[0]));
        Assert.Equal([("base", 5L)], Explained(result.Lines[1]));
    }

    [Fact]
    public void A_multiplier_multiplies_the_base_rate_not_the_currency_amount()
    {
        // Base rate 2 on 10.00 = 20; × 1.5 adds 10.
        var result = Scheme(2m, Rule("x1.5", EffectKind.Multiplier, 1.5m)).Evaluate(Basket(Line(1, 10m)), Returning);
        Assert.Equal(30, result.Points);
        Assert.Equal([("base", 20L), ("x1.5", 10L)], Explained(result.Lines[0]));
    }

    [Fact]
    public void A_multiplier_does_not_multiply_the_points_of_other_rules()
    {
        var scheme = Scheme(1m, PerUnit("promo", 5m, priority: 10), Rule("double", EffectKind.Multiplier, 2m));
        var result = scheme.Evaluate(Basket(Line(1, 10m)), Returning);
        Assert.Equal(10 + 50 + 10, result.Points);
    }

    [Fact]
    public void A_multiplier_of_one_or_on_a_zero_base_rate_adds_nothing()
    {
        Assert.Equal(10, Scheme(1m, Rule("same", EffectKind.Multiplier, 1m)).Evaluate(Basket(Line(1, 10m)), Returning).Points);
        Assert.Equal(0, Scheme(0m, Rule("double", EffectKind.Multiplier, 2m)).Evaluate(Basket(Line(1, 10m)), Returning).Points);
    }

    [Fact]
    public void Several_stacking_rules_all_add_up()
    {
        var scheme = Scheme(1m,
            PerUnit("promo", 2m, priority: 3),
            Rule("double", EffectKind.Multiplier, 2m, priority: 2),
            Rule("bonus", EffectKind.FixedBonus, 50m, priority: 1));
        var result = scheme.Evaluate(Basket(Line(1, 10m), Line(2, 4m)), Returning);

        // Line 1: 10 + 20 + 10; line 2: 4 + 8 + 4; bonus 50.
        Assert.Equal(40, result.Lines[0].Points);
        Assert.Equal(16, result.Lines[1].Points);
        Assert.Equal(50, result.Bonuses.Sum(b => b.Points));
        Assert.Equal(106, result.Points);
        Assert.Equal(result.Points, result.Lines.Sum(l => l.Points) + result.Bonuses.Sum(b => b.Points));
        Assert.All(result.Lines, l => Assert.Equal(l.Points, l.Contributions.Sum(c => c.Points)));
    }
}
