using Treue.Domain.Earning;
using Xunit;
using static Treue.Domain.Tests.Earning.EarningFixtures;

namespace Treue.Domain.Tests.Earning;

/// <summary>
/// One basket line of 10.00 at base rate 1 earns 10 points; a rule that applies adds 10 more.
/// So 20 means the rule applied and 10 means it did not.
/// </summary>
public sealed class RuleConditionTests
{
    private const long Applied = 20;
    private const long NotApplied = 10;

    private static long Earned(RuleConditions conditions, Basket? basket = null, EarningContext? context = null) =>
        Scheme(1m, PerUnit("promo", 1m, conditions)).Evaluate(basket ?? Basket(Line(1, 10m)), context ?? Returning).Points;

    private static Basket At(DateTime localTime) => Basket(Line(1, 10m)) with { LocalTime = localTime };

    [Fact]
    public void A_rule_without_conditions_always_applies()
    {
        Assert.Equal(Applied, Earned(new RuleConditions()));
        Assert.Equal(Applied, Earned(new RuleConditions(), context: First));
    }

    [Fact]
    public void A_partner_condition_applies_only_to_purchases_at_those_partners()
    {
        Assert.Equal(Applied, Earned(new RuleConditions { Partners = ["acme"] }));
        Assert.Equal(Applied, Earned(new RuleConditions { Partners = ["bolt", "acme"] }));
        Assert.Equal(NotApplied, Earned(new RuleConditions { Partners = ["bolt"] }));
    }

    [Fact]
    public void A_store_condition_applies_only_to_purchases_in_those_stores()
    {
        Assert.Equal(Applied, Earned(new RuleConditions { Stores = ["berlin-1"] }));
        Assert.Equal(Applied, Earned(new RuleConditions { Stores = ["munich-2", "berlin-1"] }));
        Assert.Equal(NotApplied, Earned(new RuleConditions { Stores = ["munich-2"] }));
    }

    [Fact]
    public void A_store_condition_never_applies_to_a_purchase_without_a_store()
    {
        var online = Basket(Line(1, 10m)) with { Store = null, Channel = Channel.Online };
        Assert.Equal(NotApplied, Earned(new RuleConditions { Stores = ["berlin-1"] }, online));
        Assert.Equal(Applied, Earned(new RuleConditions(), online));
    }

    [Fact]
    public void A_channel_condition_applies_only_to_purchases_through_those_channels()
    {
        var digital = new RuleConditions { Channels = [Channel.Online, Channel.App] };
        Assert.Equal(NotApplied, Earned(digital, Basket(Line(1, 10m)) with { Channel = Channel.Store }));
        Assert.Equal(Applied, Earned(digital, Basket(Line(1, 10m)) with { Channel = Channel.Online }));
        Assert.Equal(Applied, Earned(digital, Basket(Line(1, 10m)) with { Channel = Channel.App }));
    }

    [Fact]
    public void The_first_day_of_a_rule_is_included()
    {
        Assert.Equal(Applied, Earned(new RuleConditions { From = new DateOnly(2026, 3, 4) }, At(new DateTime(2026, 3, 4, 0, 0, 0))));
        Assert.Equal(Applied, Earned(new RuleConditions { From = new DateOnly(2026, 3, 3) }, At(new DateTime(2026, 3, 4, 0, 0, 0))));
        Assert.Equal(NotApplied, Earned(new RuleConditions { From = new DateOnly(2026, 3, 5) }, At(new DateTime(2026, 3, 4, 23, 59, 59))));
    }

    [Fact]
    public void The_last_day_of_a_rule_is_included_until_midnight()
    {
        Assert.Equal(Applied, Earned(new RuleConditions { To = new DateOnly(2026, 3, 4) }, At(new DateTime(2026, 3, 4, 23, 59, 59, 999))));
        Assert.Equal(Applied, Earned(new RuleConditions { To = new DateOnly(2026, 3, 5) }, At(new DateTime(2026, 3, 4, 12, 0, 0))));
        Assert.Equal(NotApplied, Earned(new RuleConditions { To = new DateOnly(2026, 3, 3) }, At(new DateTime(2026, 3, 4, 0, 0, 0))));
    }

    [Fact]
    public void A_date_range_applies_from_its_first_to_its_last_day()
    {
        var march = new RuleConditions { From = new DateOnly(2026, 3, 1), To = new DateOnly(2026, 3, 31) };
        Assert.Equal(NotApplied, Earned(march, At(new DateTime(2026, 2, 28, 23, 59, 59))));
        Assert.Equal(Applied, Earned(march, At(new DateTime(2026, 3, 1, 0, 0, 0))));
        Assert.Equal(Applied, Earned(march, At(new DateTime(2026, 3, 15, 12, 0, 0))));
        Assert.Equal(Applied, Earned(march, At(new DateTime(2026, 3, 31, 23, 59, 59))));
        Assert.Equal(NotApplied, Earned(march, At(new DateTime(2026, 4, 1, 0, 0, 0))));
    }

    [Fact]
    public void A_one_day_promotion_applies_on_that_day_only()
    {
        var day = new RuleConditions { From = new DateOnly(2026, 3, 4), To = new DateOnly(2026, 3, 4) };
        Assert.Equal(Applied, Earned(day, At(new DateTime(2026, 3, 4, 8, 0, 0))));
        Assert.Equal(NotApplied, Earned(day, At(new DateTime(2026, 3, 5, 8, 0, 0))));
        Assert.Equal(NotApplied, Earned(day, At(new DateTime(2026, 3, 3, 8, 0, 0))));
    }

    [Fact]
    public void A_weekday_condition_applies_only_on_those_weekdays()
    {
        Assert.Equal(DayOfWeek.Wednesday, Wednesday.DayOfWeek);
        var weekend = new RuleConditions { Weekdays = [DayOfWeek.Saturday, DayOfWeek.Sunday] };
        Assert.Equal(NotApplied, Earned(weekend, At(new DateTime(2026, 3, 4, 12, 0, 0)))); // Wednesday
        Assert.Equal(NotApplied, Earned(weekend, At(new DateTime(2026, 3, 6, 23, 59, 59)))); // Friday
        Assert.Equal(Applied, Earned(weekend, At(new DateTime(2026, 3, 7, 0, 0, 0)))); // Saturday
        Assert.Equal(Applied, Earned(weekend, At(new DateTime(2026, 3, 8, 23, 0, 0)))); // Sunday
        Assert.Equal(NotApplied, Earned(weekend, At(new DateTime(2026, 3, 9, 0, 0, 0)))); // Monday
        Assert.Equal(Applied, Earned(new RuleConditions { Weekdays = [DayOfWeek.Wednesday] }));
    }

    [Fact]
    public void A_minimum_basket_applies_from_exactly_that_total()
    {
        Assert.Equal(Applied, Earned(new RuleConditions { MinBasket = 10.00m }));
        Assert.Equal(Applied, Earned(new RuleConditions { MinBasket = 9.99m }));
        Assert.Equal(NotApplied, Earned(new RuleConditions { MinBasket = 10.01m }));
    }

    [Fact]
    public void A_minimum_basket_counts_the_total_after_discounts()
    {
        // 12.00 − 2.01 = 9.99, below 10.
        var basket = Basket(new BasketLine(1, "sku-1", null, 1m, 12.00m, 2.01m));
        var result = Scheme(1m, PerUnit("promo", 1m, new RuleConditions { MinBasket = 10m })).Evaluate(basket, Returning);
        Assert.Equal(9, result.Points); // base floor(9.99) only
        Assert.Empty(result.RulesApplied);
    }

    [Fact]
    public void A_minimum_basket_counts_the_whole_basket_not_only_the_matching_lines()
    {
        // The rule selects sku-a (30.00) but the basket total is 60.00, which reaches the minimum of 50.
        var scheme = Scheme(1m, PerUnit("promo", 1m, new RuleConditions { Skus = ["sku-a"], MinBasket = 50m }));
        var result = scheme.Evaluate(Basket(Line(1, 30m, "sku-a"), Line(2, 30m, "sku-b")), Returning);
        Assert.Equal(30 + 30 + 30, result.Points);
        Assert.Equal(60, result.Lines[0].Points);
        Assert.Equal(30, result.Lines[1].Points);
    }

    [Fact]
    public void A_first_purchase_rule_applies_only_to_the_first_purchase()
    {
        var welcome = new RuleConditions { FirstPurchaseOnly = true };
        Assert.Equal(Applied, Earned(welcome, context: First));
        Assert.Equal(NotApplied, Earned(welcome, context: Returning));
    }

    [Fact]
    public void A_rule_that_is_not_for_first_purchases_only_applies_to_every_purchase()
    {
        var always = new RuleConditions { FirstPurchaseOnly = false };
        Assert.Equal(Applied, Earned(always, context: First));
        Assert.Equal(Applied, Earned(always, context: Returning));
    }

    [Fact]
    public void Every_condition_that_is_set_must_hold()
    {
        var all = new RuleConditions
        {
            Partners = ["acme"], Stores = ["berlin-1"], Channels = [Channel.Store],
            From = new DateOnly(2026, 3, 1), To = new DateOnly(2026, 3, 31), Weekdays = [DayOfWeek.Wednesday],
            MinBasket = 5m, FirstPurchaseOnly = true,
        };
        var basket = Basket(Line(1, 10m));
        Assert.Equal(Applied, Earned(all, basket, First));

        Assert.Equal(NotApplied, Earned(all, basket with { Partner = "bolt" }, First));
        Assert.Equal(NotApplied, Earned(all, basket with { Store = "munich-2" }, First));
        Assert.Equal(NotApplied, Earned(all, basket with { Channel = Channel.App }, First));
        Assert.Equal(NotApplied, Earned(all, basket with { LocalTime = new DateTime(2026, 4, 1, 12, 0, 0) }, First)); // a Wednesday after To
        Assert.Equal(NotApplied, Earned(all, basket with { LocalTime = new DateTime(2026, 3, 5, 12, 0, 0) }, First)); // a Thursday
        Assert.Equal(NotApplied, Earned(all with { MinBasket = 11m }, basket, First));
        Assert.Equal(NotApplied, Earned(all, basket, Returning));
    }

    [Fact]
    public void A_sku_condition_selects_the_lines_the_rule_applies_to()
    {
        var scheme = Scheme(1m, PerUnit("promo", 2m, new RuleConditions { Skus = ["sku-a", "sku-c"] }));
        var result = scheme.Evaluate(Basket(Line(1, 10m, "sku-a"), Line(2, 20m, "sku-b"), Line(3, 1m, "sku-c")), Returning);

        Assert.Equal([("base", 10L), ("promo", 20L)], Explained(result.Lines[0]));
        Assert.Equal([("base", 20L)], Explained(result.Lines[1]));
        Assert.Equal([("base", 1L), ("promo", 2L)], Explained(result.Lines[2]));
        Assert.Equal(53, result.Points);
    }

    [Fact]
    public void A_category_condition_selects_the_lines_of_those_categories()
    {
        var scheme = Scheme(1m, PerUnit("promo", 2m, new RuleConditions { Categories = ["wine"] }));
        var result = scheme.Evaluate(Basket(Line(1, 10m, "a", "wine"), Line(2, 20m, "b", "cheese"), Line(3, 5m, "c", null)), Returning);

        Assert.Equal(30, result.Lines[0].Points);
        Assert.Equal(20, result.Lines[1].Points);
        Assert.Equal(5, result.Lines[2].Points);
        Assert.Equal(55, result.Points);
    }

    [Fact]
    public void A_line_matches_by_its_sku_or_by_its_category()
    {
        var scheme = Scheme(1m, PerUnit("promo", 1m, new RuleConditions { Skus = ["b"], Categories = ["wine"] }));
        var result = scheme.Evaluate(Basket(Line(1, 10m, "a", "wine"), Line(2, 10m, "b", "cheese"), Line(3, 10m, "c", "cheese")), Returning);
        Assert.Equal([20L, 20L, 10L], result.Lines.Select(l => l.Points));
    }

    [Fact]
    public void A_rule_whose_line_filter_matches_no_line_does_not_fire()
    {
        var scheme = Scheme(1m, PerUnit("promo", 1m, new RuleConditions { Skus = ["nope"] }));
        var result = scheme.Evaluate(Basket(Line(1, 10m, "a")), Returning);
        Assert.Equal(NotApplied, result.Points);
        Assert.Empty(result.RulesApplied);
    }

    [Fact]
    public void Line_filter_is_reported_only_for_sku_or_category_conditions()
    {
        Assert.False(new RuleConditions().HasLineFilter);
        Assert.False(new RuleConditions { Partners = ["acme"], MinBasket = 5m }.HasLineFilter);
        Assert.True(new RuleConditions { Skus = ["a"] }.HasLineFilter);
        Assert.True(new RuleConditions { Categories = ["wine"] }.HasLineFilter);
    }
}
