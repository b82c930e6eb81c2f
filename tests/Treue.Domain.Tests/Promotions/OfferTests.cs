using Xunit;
using Treue.Domain.Promotions;
using static Treue.Domain.Tests.Promotions.PromotionFixtures;

namespace Treue.Domain.Tests.Promotions;

public sealed class OfferTests
{
    [Fact]
    public void Ten_percent_off_the_basket_is_rounded_once_and_split_over_the_lines_to_the_cent()
    {
        // 10 % of 3 × 3.35 = 1.005 → 1.01 (half away from zero), split by largest remainder: 0.34, 0.34, 0.33.
        var result = Price(Basket(Line(1, "a", 3.35m), Line(2, "b", 3.35m), Line(3, "c", 3.35m)), Terms(Auto("ten", new PercentOffBasket(10))));

        Assert.Equal(1.01m, result.Discount);
        Assert.Equal([0.34m, 0.34m, 0.33m], Discounts(result));
        Assert.Equal(9.04m, result.Basket.Total);
    }

    [Fact]
    public void Ten_percent_off_a_yen_basket_is_whole_yen()
    {
        // 10 % of 1,235 JPY = 123.5 → 124 JPY; split 1000 : 235 gives 100.40… and 23.59…, so 100 and 24.
        var result = Price(Basket(Line(1, "a", 1000m), Line(2, "b", 235m)), Terms(Auto("ten", new PercentOffBasket(10))), Jpy);

        Assert.Equal(124m, result.Discount);
        Assert.Equal([100m, 24m], Discounts(result));
        Assert.All(result.Basket.Lines, l => Assert.Equal(decimal.Truncate(l.Discount), l.Discount));
    }

    [Fact]
    public void A_percentage_off_the_basket_can_be_capped()
    {
        var result = Price(Basket(Line(1, "tv", 800m)), Terms(Auto("ten", new PercentOffBasket(10, MaxDiscount: 50m))));

        Assert.Equal(50m, result.Discount);
    }

    [Fact]
    public void An_amount_off_the_basket_never_takes_more_than_the_basket()
    {
        var result = Price(Basket(Line(1, "a", 3m), Line(2, "b", 1.5m)), Terms(Auto("five", new AmountOffBasket(5m))));

        Assert.Equal(4.5m, result.Discount);
        Assert.Equal(0m, result.Basket.Total);
        Assert.All(result.Basket.Lines, l => Assert.Equal(0m, l.Net));
    }

    [Fact]
    public void A_percentage_off_matching_lines_leaves_the_other_lines_alone()
    {
        var offer = new PercentOffLines(LineSelector.OfCategories("coffee"), 20);
        var result = Price(Basket(Line(1, "beans", 8.99m, category: "coffee"), Line(2, "milk", 1.19m), Line(3, "cups", 4.50m, 2, "coffee")),
            Terms(Auto("coffee", offer)));

        // 20 % of 8.99 + 9.00 = 3.598 → 3.60, split 8.99 : 9.00.
        Assert.Equal(3.60m, result.Discount);
        Assert.Equal([1.80m, 0m, 1.80m], Discounts(result));
    }

    [Fact]
    public void An_amount_off_each_unit_of_matching_lines_stops_at_the_line_price()
    {
        var offer = new AmountOffLines(LineSelector.OfSkus("espresso", "sticker"), 1m, PerUnit: true);
        var result = Price(Basket(Line(1, "espresso", 2.40m, 3), Line(2, "sticker", 0.50m, 2), Line(3, "cake", 3.20m)), Terms(Auto("one-off", offer)));

        Assert.Equal([3.00m, 1.00m, 0m], Discounts(result));
    }

    [Fact]
    public void An_amount_off_matching_lines_together_is_split_over_them()
    {
        var offer = new AmountOffLines(LineSelector.OfSkus("a", "b"), 1m);
        var result = Price(Basket(Line(1, "a", 1m), Line(2, "b", 2m), Line(3, "c", 5m)), Terms(Auto("one", offer)));

        Assert.Equal([0.33m, 0.67m, 0m], Discounts(result));
    }

    [Fact]
    public void A_free_item_in_the_basket_costs_nothing_and_one_not_in_it_is_handed_over()
    {
        var inBasket = Price(Basket(Line(1, "mug", 6.90m, 2), Line(2, "beans", 8.99m)), Terms(Auto("mug", new FreeItem("mug"))));
        var notInBasket = Price(Basket(Line(1, "beans", 8.99m)), Terms(Auto("mug", new FreeItem("mug"))));

        Assert.Equal([6.90m, 0m], Discounts(inBasket));
        Assert.Empty(inBasket.Steps[0].Gifts);
        Assert.Equal(0m, notInBasket.Discount);
        Assert.Equal(["mug"], notInBasket.Steps[0].Gifts);
    }

    [Fact]
    public void Buy_three_pay_two_makes_the_cheapest_of_each_three_free()
    {
        var offer = new BuyXGetY(LineSelector.OfCategories("tea"), BuyQuantity: 2, GetQuantity: 1);
        var basket = Basket(
            Line(1, "green", 4.00m, 2, "tea"),
            Line(2, "black", 3.00m, 3, "tea"),
            Line(3, "mint", 2.50m, 2, "tea"),
            Line(4, "honey", 5.00m));

        var result = Price(basket, Terms(Auto("3for2", offer)));

        // Units by price: 4, 4, 3 | 3, 3, 2.50 | 2.50 → two runs; the free units are a 3.00 black and a 2.50 mint.
        Assert.Equal(2, result.Steps[0].Applications);
        Assert.Equal([0m, 3.00m, 2.50m, 0m], Discounts(result));
        Assert.Equal(5.50m, result.Discount);
    }

    [Fact]
    public void Buy_one_get_the_other_article_half_price_discounts_the_cheapest_matching_unit()
    {
        var offer = new BuyXGetY(LineSelector.OfSkus("machine"), 1, 1, PercentOff: 50, Get: LineSelector.OfCategories("beans"));
        var basket = Basket(Line(1, "machine", 199m), Line(2, "arabica", 12.99m, category: "beans"), Line(3, "robusta", 8.99m, category: "beans"));

        var result = Price(basket, Terms(Auto("machine-beans", offer)));

        // Half of 8.99 is 4.495, rounded down to 4.49 for offers on units.
        Assert.Equal([0m, 0m, 4.49m], Discounts(result));
        Assert.Equal(1, result.Steps[0].Applications);
    }

    [Fact]
    public void A_buy_x_get_y_without_enough_units_does_not_apply()
    {
        var offer = new BuyXGetY(LineSelector.OfCategories("tea"), 2, 1);
        var result = Price(Basket(Line(1, "green", 4m, 2, "tea")), Terms(Auto("3for2", offer)));

        Assert.Empty(result.Steps);
        Assert.Equal(0m, result.Discount);
    }

    [Fact]
    public void A_bundle_price_applies_as_often_as_the_basket_allows()
    {
        // Burger 6.50, fries 2.90, drink 2.50 = 11.90; the menu costs 9.90. The basket holds two full menus and a third burger.
        var menu = new BundlePrice([new BundleItem(["burger"]), new BundleItem(["fries"]), new BundleItem(["cola", "water"])], 9.90m);
        var basket = Basket(Line(1, "burger", 6.50m, 3), Line(2, "fries", 2.90m, 2), Line(3, "cola", 2.50m), Line(4, "water", 2.50m));

        var result = Price(basket, Terms(Auto("menu", menu)));

        Assert.Equal(2, result.Steps[0].Applications);
        Assert.Equal(4.00m, result.Discount);
        Assert.Equal(19.50m - 4.00m + 5.80m + 5.00m, result.Basket.Total);
        // Each menu's 2.00 is split by the units' prices (burger 1.0924, fries 0.4874, drink 0.4202), the last cent by largest remainder.
        Assert.Equal([2.19m, 0.97m, 0.42m, 0.42m], Discounts(result));
        Assert.Equal([2, 2, 1, 1], result.Steps[0].Lines.Select(l => l.Units));
    }

    [Fact]
    public void A_bundle_price_above_the_articles_price_does_not_apply()
    {
        var bundle = new BundlePrice([new BundleItem(["a"]), new BundleItem(["b"])], 5m);
        var result = Price(Basket(Line(1, "a", 2m), Line(2, "b", 2m)), Terms(Auto("dear", bundle)));

        Assert.Empty(result.Steps);
    }

    [Fact]
    public void A_unit_in_a_bundle_is_not_used_again_by_a_later_buy_x_get_y()
    {
        var bundle = new BundlePrice([new BundleItem(["a"], 2)], 3m);
        var multiBuy = new BuyXGetY(LineSelector.OfSkus("a"), 1, 1);
        var result = Price(Basket(Line(1, "a", 2m, 3)), Terms(Auto("bundle", bundle), Auto("bogo", multiBuy)));

        // The bundle takes two units; one is left, which is not enough for buy one get one.
        Assert.Single(result.Steps);
        Assert.Equal(1m, result.Discount);
    }

    [Fact]
    public void Offers_configured_with_nonsense_amounts_give_nothing_rather_than_a_negative_line()
    {
        var basket = Basket(Line(1, "a", 2m, 2), Line(2, "b", 3m));
        var terms = Terms(
            Auto("neg-unit", new AmountOffLines(LineSelector.All, -1m, PerUnit: true)),
            Auto("neg-basket", new AmountOffBasket(-5m)),
            Auto("neg-bundle", new BundlePrice([new BundleItem(["a"])], -1m)),
            Auto("no-free", new FreeItem("a", 0)),
            Auto("buy-none", new BuyXGetY(LineSelector.All, 0, 1)));

        var result = Price(basket, terms);

        Assert.Equal(0m, result.Discount);
        Assert.All(result.Basket.Lines, l => Assert.Equal(0m, l.Discount));
    }
}
