using Xunit;
using Treue.Domain.Earning;
using Treue.Domain.Promotions;
using static Treue.Domain.Tests.Promotions.PromotionFixtures;

namespace Treue.Domain.Tests.Promotions;

public sealed class PromotionReturnTests
{
    private static PromotionReturn Return(Basket basket, PricingResult priced, PromotionTerms terms, ReturnedLine[] before, params ReturnedLine[] now) =>
        PromotionReturns.Compute(basket.Lines, priced.Steps, before, now, terms, Eur);

    [Fact]
    public void A_return_gives_back_the_discount_of_the_returned_units_pro_rata()
    {
        var basket = Basket(Line(1, "a", 10m, 3), Line(2, "b", 20m));
        var terms = Terms(Auto("ten", new AmountOffBasket(10m)));
        var priced = Price(basket, terms);

        // 10.00 split 30 : 20 = 6.00 and 4.00; one of three a's takes 2.00 of its line's discount with it.
        var result = Return(basket, priced, terms, [], new ReturnedLine(1, 1));

        Assert.Equal(2.00m, result.Discount);
        Assert.Equal([new LineDiscountReturned(1, 2.00m)], result.Lines);
        Assert.Equal(0m, result.Steps.Single().ClawedBack);
    }

    [Fact]
    public void Three_returns_of_one_unit_give_back_exactly_the_discount_in_cents()
    {
        var basket = Basket(Line(1, "a", 1m, 3));
        var terms = Terms(Auto("one", new AmountOffBasket(1m)));
        var priced = Price(basket, terms);

        var first = Return(basket, priced, terms, [], new ReturnedLine(1, 1));
        var second = Return(basket, priced, terms, [new ReturnedLine(1, 1)], new ReturnedLine(1, 1));
        var third = Return(basket, priced, terms, [new ReturnedLine(1, 2)], new ReturnedLine(1, 1));

        Assert.Equal([0.33m, 0.33m, 0.34m], [first.Discount, second.Discount, third.Discount]);
    }

    [Fact]
    public void A_return_that_breaks_a_bundle_claws_back_the_bundle_discount_the_kept_lines_no_longer_earn()
    {
        var menu = new BundlePrice([new BundleItem(["burger"]), new BundleItem(["fries"])], 7.40m);
        var basket = Basket(Line(1, "burger", 6.50m), Line(2, "fries", 2.90m));
        var terms = Terms(Auto("menu", menu));
        var priced = Price(basket, terms);
        Assert.Equal(2.00m, priced.Discount);

        var result = Return(basket, priced, terms, [], new ReturnedLine(2, 1));

        // The fries take their 0.62 of the menu discount; the burger alone is no menu, so its 1.38 is clawed back.
        var step = result.Steps.Single();
        Assert.Equal(0.62m, step.Returned);
        Assert.Equal(1.38m, step.ClawedBack);
        Assert.Equal(2.00m, result.Discount);
        // The customer gets 2.90 - 2.00 = 0.90 back: the burger now costs its full 6.50.
        Assert.Equal(0.90m, 2.90m - result.Discount);
    }

    [Fact]
    public void A_return_that_leaves_the_bundle_whole_claws_nothing_back()
    {
        var menu = new BundlePrice([new BundleItem(["burger"]), new BundleItem(["fries"])], 7.40m);
        var basket = Basket(Line(1, "burger", 6.50m, 2), Line(2, "fries", 2.90m, 2));
        var terms = Terms(Auto("menu", menu));
        var priced = Price(basket, terms);

        var half = Return(basket, priced, terms, [], new ReturnedLine(1, 1), new ReturnedLine(2, 1));

        // The kept burger and fries are still a menu and keep exactly its 2.00. Pro rata they would keep 2.01 (the 4.00 was
        // split 2.77 : 1.23, halves rounded down), so the cent of rounding goes back with the return.
        Assert.Equal(2.00m, half.Discount);
        Assert.Equal(0.01m, half.Steps.Single().ClawedBack);
    }

    [Fact]
    public void A_return_that_breaks_buy_three_pay_two_claws_back_the_free_unit()
    {
        var offer = new BuyXGetY(LineSelector.OfCategories("tea"), 2, 1);
        var basket = Basket(Line(1, "green", 4m, 2, "tea"), Line(2, "mint", 3m, category: "tea"));
        var terms = Terms(Auto("3for2", offer));
        var priced = Price(basket, terms);
        Assert.Equal(3m, priced.Discount);

        // One green tea comes back: the free mint tea is no longer earned. The customer gets 4.00 - 3.00 = 1.00.
        var result = Return(basket, priced, terms, [], new ReturnedLine(1, 1));

        Assert.Equal(0m, result.Steps.Single().Returned);
        Assert.Equal(3m, result.Steps.Single().ClawedBack);
        // Returning the rest later gives back nothing more: the discount is all accounted for.
        var rest = Return(basket, priced, terms, [new ReturnedLine(1, 1)], new ReturnedLine(1, 1), new ReturnedLine(2, 1));
        Assert.Equal(0m, rest.Discount);
    }

    [Fact]
    public void A_code_becomes_usable_again_only_when_the_whole_purchase_returns_and_its_campaign_says_so()
    {
        var basket = Basket(Line(1, "a", 10m, 2));
        var reusable = WithCode("again", new PercentOffBasket(10)) with { ReleaseCodeOnReturn = true };
        var terms = Terms(reusable);
        var priced = Price(basket, terms, snapshot: new PromotionSnapshot { Codes = [new CodeRecord("AGAIN", "again", null, 0)] }, codes: "AGAIN");

        var part = Return(basket, priced, terms, [], new ReturnedLine(1, 1));
        var whole = Return(basket, priced, terms, [new ReturnedLine(1, 1)], new ReturnedLine(1, 1));
        var notReusable = Return(basket, priced, Terms(reusable with { ReleaseCodeOnReturn = false }), [], new ReturnedLine(1, 2));

        Assert.Empty(part.Released);
        Assert.Equal([new CodeRelease("again", "AGAIN")], whole.Released);
        Assert.Empty(notReusable.Released);
    }

    [Fact]
    public void A_return_of_more_than_was_bought_throws()
    {
        var basket = Basket(Line(1, "a", 10m));
        var terms = Terms(Auto("ten", new PercentOffBasket(10)));
        var priced = Price(basket, terms);

        Assert.Throws<ArgumentOutOfRangeException>(() => Return(basket, priced, terms, [new ReturnedLine(1, 1)], new ReturnedLine(1, 1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => Return(basket, priced, terms, [], new ReturnedLine(9, 1)));
    }
}
