using CsCheck;
using Treue.Domain.Ledger;
using Treue.Domain.Programmes;
using Xunit;

namespace Treue.Domain.Tests;

public sealed class CheckoutTests
{
    private const string Field = "pointsPayment.points";
    private static readonly Currency Eur = Currency.Find("EUR")!;
    private static readonly Currency Jpy = Currency.Find("JPY")!;
    private static readonly Currency Kwd = Currency.Find("KWD")!;

    // One point is worth one cent; at least 100 and at most 50,000 points; up to half the basket.
    private static readonly PayWithPointsPolicy Policy = new(MinPoints: 100, MaxPoints: 50_000, MaxShareOfBasket: 0.5m);

    [Fact]
    public void Points_pay_their_value_in_money()
    {
        var (discount, refusal) = Checkout.PayWithPoints(Policy, 0.01m, Eur, 100.00m, 1_500);
        Assert.Null(refusal);
        Assert.Equal(15.00m, discount);
    }

    [Fact]
    public void The_money_value_is_rounded_down_to_the_cent()
    {
        // 1,249 points at 0.4 cents = 4.996 EUR: the programme pays 4.99, never 5.00.
        var (discount, refusal) = Checkout.PayWithPoints(Policy, 0.004m, Eur, 100.00m, 1_249);
        Assert.Null(refusal);
        Assert.Equal(4.99m, discount);
    }

    [Fact]
    public void The_money_value_is_rounded_down_to_the_yen()
    {
        // 101 points at half a yen = 50.5 JPY → 50.
        var (discount, refusal) = Checkout.PayWithPoints(Policy, 0.5m, Jpy, 10_000m, 101);
        Assert.Null(refusal);
        Assert.Equal(50m, discount);
    }

    [Fact]
    public void The_money_value_is_rounded_down_to_the_fils()
    {
        // 1,001 points at 1.5 fils = 1.5015 KWD → 1.501.
        var (discount, refusal) = Checkout.PayWithPoints(Policy, 0.0015m, Kwd, 100m, 1_001);
        Assert.Null(refusal);
        Assert.Equal(1.501m, discount);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(long.MinValue)]
    public void Paying_with_no_or_negative_points_is_refused(long points)
    {
        var (discount, refusal) = Checkout.PayWithPoints(Policy, 0.01m, Eur, 100m, points);
        Assert.Equal(0m, discount);
        Assert.NotNull(refusal);
        Assert.Equal("invalid_points", refusal.Code);
        Assert.Equal(Field, refusal.Field);
    }

    [Fact]
    public void Paying_with_fewer_than_the_minimum_points_is_refused()
    {
        var (discount, refusal) = Checkout.PayWithPoints(Policy, 0.01m, Eur, 100m, 99);
        Assert.Equal(0m, discount);
        Assert.NotNull(refusal);
        Assert.Equal("below_minimum_points", refusal.Code);
        Assert.Equal(Field, refusal.Field);
        Assert.Contains("100", refusal.Message);
    }

    [Fact]
    public void Paying_with_exactly_the_minimum_points_is_allowed()
    {
        var (discount, refusal) = Checkout.PayWithPoints(Policy, 0.01m, Eur, 100m, 100);
        Assert.Null(refusal);
        Assert.Equal(1.00m, discount);
    }

    [Fact]
    public void Paying_with_more_than_the_maximum_points_is_refused()
    {
        var (discount, refusal) = Checkout.PayWithPoints(Policy, 0.01m, Eur, 10_000m, 50_001);
        Assert.Equal(0m, discount);
        Assert.NotNull(refusal);
        Assert.Equal("above_maximum_points", refusal.Code);
        Assert.Equal(Field, refusal.Field);
        Assert.Contains("50000", refusal.Message);
    }

    [Fact]
    public void Paying_with_exactly_the_maximum_points_is_allowed()
    {
        var (discount, refusal) = Checkout.PayWithPoints(Policy, 0.01m, Eur, 10_000m, 50_000);
        Assert.Null(refusal);
        Assert.Equal(500.00m, discount);
    }

    [Fact]
    public void Without_a_maximum_any_number_of_points_is_allowed()
    {
        var policy = new PayWithPointsPolicy(MinPoints: 1, MaxPoints: null, MaxShareOfBasket: 1m);
        var (discount, refusal) = Checkout.PayWithPoints(policy, 0.01m, Eur, 1_000_000m, 10_000_000);
        Assert.Null(refusal);
        Assert.Equal(100_000.00m, discount);
    }

    [Fact]
    public void Points_may_pay_exactly_the_maximum_share_of_the_basket()
    {
        // Half of 20.00 is 10.00 = 1,000 points.
        var (discount, refusal) = Checkout.PayWithPoints(Policy, 0.01m, Eur, 20.00m, 1_000);
        Assert.Null(refusal);
        Assert.Equal(10.00m, discount);
    }

    [Fact]
    public void Points_worth_more_than_the_maximum_share_of_the_basket_are_refused()
    {
        var (discount, refusal) = Checkout.PayWithPoints(Policy, 0.01m, Eur, 20.00m, 1_001);
        Assert.Equal(0m, discount);
        Assert.NotNull(refusal);
        Assert.Equal("above_maximum_share", refusal.Code);
        Assert.Equal(Field, refusal.Field);
    }

    [Fact]
    public void Points_may_not_pay_more_than_the_whole_basket()
    {
        var policy = new PayWithPointsPolicy(MinPoints: 1, MaxShareOfBasket: 1m);
        Assert.Equal((9.99m, (Refusal?)null), Checkout.PayWithPoints(policy, 0.01m, Eur, 9.99m, 999));
        Assert.Equal("above_maximum_share", Checkout.PayWithPoints(policy, 0.01m, Eur, 9.99m, 1_000).Refusal?.Code);
    }

    [Fact]
    public void The_share_is_checked_against_the_rounded_down_value()
    {
        // 1,251 points at 0.4 cents = 5.004 → 5.00, which is exactly half of 10.00.
        var (discount, refusal) = Checkout.PayWithPoints(Policy, 0.004m, Eur, 10.00m, 1_251);
        Assert.Null(refusal);
        Assert.Equal(5.00m, discount);
    }

    [Fact]
    public void The_default_policy_needs_100_points_and_allows_the_whole_basket()
    {
        var policy = new PayWithPointsPolicy();
        Assert.Equal("below_minimum_points", Checkout.PayWithPoints(policy, 0.01m, Eur, 10m, 99).Refusal?.Code);
        Assert.Equal((10.00m, (Refusal?)null), Checkout.PayWithPoints(policy, 0.01m, Eur, 10m, 1_000));
        Assert.Equal("above_maximum_share", Checkout.PayWithPoints(policy, 0.01m, Eur, 10m, 1_001).Refusal?.Code);
    }

    [Fact]
    public void The_discount_is_never_more_than_the_points_are_worth_nor_a_cent_less()
    {
        var policy = new PayWithPointsPolicy(MinPoints: 1, MaxShareOfBasket: 1m);
        var gen = Gen.Select(Gen.Long[1, 10_000_000], Gen.Int[1, 100_000]);
        Check.Sample(gen, t =>
        {
            var (points, tenthsOfMilli) = t;
            var pointValue = tenthsOfMilli / 10_000m; // 0.0001 to 10
            var worth = points * pointValue;
            var (discount, refusal) = Checkout.PayWithPoints(policy, pointValue, Eur, decimal.MaxValue / 2, points);
            Assert.Null(refusal);
            Assert.True(Eur.IsExact(discount), $"{discount} is not whole cents");
            // Point values have at most four decimals, so rounding down to the cent loses at most 0.0099.
            Assert.InRange(discount, worth - 0.0099m, worth);
        }, iter: 5_000);
    }
}
