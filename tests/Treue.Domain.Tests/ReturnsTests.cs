using CsCheck;
using Treue.Domain.Ledger;
using Xunit;

namespace Treue.Domain.Tests;

public sealed class ReturnsTests
{
    [Fact]
    public void Returning_a_whole_line_reverses_all_its_points()
    {
        Assert.Equal(100, Returns.LinePointsToReverse(100, 3, 0, 3));
        Assert.Equal(7, Returns.LinePointsToReverse(7, 1, 0, 1));
    }

    [Fact]
    public void Three_returns_of_one_unit_out_of_three_add_up_to_the_line_points()
    {
        // 100 × 1/3 = 33.3 → 33; 100 × 2/3 = 66.6 → 66, minus 33; the last unit takes the rest.
        var first = Returns.LinePointsToReverse(100, 3, 0, 1);
        var second = Returns.LinePointsToReverse(100, 3, 1, 1);
        var third = Returns.LinePointsToReverse(100, 3, 2, 1);
        Assert.Equal(33, first);
        Assert.Equal(33, second);
        Assert.Equal(34, third);
    }

    [Fact]
    public void A_partial_return_reverses_its_share_rounded_down()
    {
        // 10 points for 4 units; 1 unit is worth 2.5 points.
        Assert.Equal(2, Returns.LinePointsToReverse(10, 4, 0, 1));
        Assert.Equal(5, Returns.LinePointsToReverse(10, 4, 0, 2));
        Assert.Equal(3, Returns.LinePointsToReverse(10, 4, 1, 1)); // 5 - 2
        Assert.Equal(5, Returns.LinePointsToReverse(10, 4, 2, 2)); // 10 - 5
    }

    [Fact]
    public void Goods_sold_by_weight_are_reversed_by_their_returned_weight()
    {
        // 80 points for 1.5 kg: 0.5 kg → 26.6 → 26; the remaining kilogram gets 80 - 26.
        Assert.Equal(26, Returns.LinePointsToReverse(80, 1.5m, 0, 0.5m));
        Assert.Equal(54, Returns.LinePointsToReverse(80, 1.5m, 0.5m, 1.0m));
    }

    [Fact]
    public void A_line_that_earned_nothing_reverses_nothing()
    {
        Assert.Equal(0, Returns.LinePointsToReverse(0, 3, 0, 1));
        Assert.Equal(0, Returns.LinePointsToReverse(0, 3, 0, 3));
    }

    [Fact]
    public void A_line_without_quantity_reverses_nothing()
    {
        Assert.Equal(0, Returns.LinePointsToReverse(50, 0, 0, 1));
    }

    [Theory]
    [InlineData(3, 0, 4)] // more than bought
    [InlineData(3, 2, 2)] // more than is left
    [InlineData(3, 3, 1)] // already all returned
    [InlineData(3, 0, 0)] // nothing returned
    [InlineData(3, 0, -1)] // a negative return
    public void A_return_of_more_than_was_bought_or_of_nothing_throws(int bought, int before, int now)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Returns.LinePointsToReverse(100, bought, before, now));
    }

    [Fact]
    public void Returning_a_fraction_more_than_bought_throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Returns.LinePointsToReverse(100, 1.5m, 1.0m, 0.501m));
    }

    // A line and a random way to return all of it in several parts (quantities with up to 3 decimals).
    private static readonly Gen<(long Points, decimal Bought, decimal[] Parts)> LineReturnedInParts =
        Gen.Select(Gen.Long[0, 10_000_000], Gen.Int[1, 20].Array[1, 10], Gen.Int[0, 3])
            .Select(t =>
            {
                var (points, parts, decimals) = t;
                var unit = decimals switch { 0 => 1m, 1 => 0.1m, 2 => 0.01m, _ => 0.001m };
                var quantities = parts.Select(p => p * unit).ToArray();
                return (points, quantities.Sum(), quantities);
            });

    [Fact]
    public void Partial_returns_add_up_to_exactly_the_line_points_and_never_more()
    {
        Check.Sample(LineReturnedInParts, t =>
        {
            var (points, bought, parts) = t;
            long reversed = 0;
            decimal returned = 0;
            foreach (var part in parts)
            {
                var now = Returns.LinePointsToReverse(points, bought, returned, part);
                Assert.True(now >= 0, $"negative reversal {now}");
                reversed += now;
                returned += part;
                Assert.True(reversed <= points, $"reversed {reversed} of {points}");
                // Never more than the share returned so far.
                Assert.True(reversed <= points * returned / bought, $"reversed {reversed} for {returned}/{bought} of {points}");
            }
            Assert.Equal(points, reversed);
        }, iter: 5_000);
    }

    [Fact]
    public void Paid_points_come_back_in_proportion_to_the_value_returned()
    {
        // 500 points paid on a 30.00 receipt, returned in three parts of 10.00.
        Assert.Equal(166, Returns.PaidPointsToRefund(500, 30.00m, 0, 10.00m));
        Assert.Equal(167, Returns.PaidPointsToRefund(500, 30.00m, 10.00m, 10.00m)); // 333 - 166
        Assert.Equal(167, Returns.PaidPointsToRefund(500, 30.00m, 20.00m, 10.00m)); // 500 - 333
    }

    [Fact]
    public void Returning_the_whole_receipt_refunds_all_paid_points()
    {
        Assert.Equal(500, Returns.PaidPointsToRefund(500, 30.00m, 0, 30.00m));
    }

    [Fact]
    public void Nothing_is_refunded_when_nothing_was_paid_with_points_or_the_receipt_was_free()
    {
        Assert.Equal(0, Returns.PaidPointsToRefund(0, 30.00m, 0, 10.00m));
        Assert.Equal(0, Returns.PaidPointsToRefund(500, 0, 0, 10.00m));
    }

    [Fact]
    public void Paid_points_refunded_never_exceed_the_points_paid_even_if_the_returned_value_does()
    {
        Assert.Equal(167, Returns.PaidPointsToRefund(500, 30.00m, 20.00m, 25.00m));
        Assert.Equal(0, Returns.PaidPointsToRefund(500, 30.00m, 30.00m, 5.00m));
    }

    // A receipt in minor units and a random way to return all of it in several parts.
    private static readonly Gen<(long Paid, decimal Total, decimal[] Parts)> ReceiptReturnedInParts =
        Gen.Select(Gen.Long[1, 5_000_000], Gen.Long[1, 100_000].Array[1, 10])
            .Select(t => (t.Item1, (decimal)t.Item2.Sum(), t.Item2.Select(p => (decimal)p).ToArray()));

    [Fact]
    public void Partial_refunds_of_paid_points_add_up_to_exactly_the_points_paid_and_never_more()
    {
        Check.Sample(ReceiptReturnedInParts, t =>
        {
            var (paid, total, parts) = t;
            long refunded = 0;
            decimal returned = 0;
            foreach (var part in parts)
            {
                var now = Returns.PaidPointsToRefund(paid, total, returned, part);
                Assert.True(now >= 0, $"negative refund {now}");
                refunded += now;
                returned += part;
                Assert.True(refunded <= paid * returned / total, $"refunded {refunded} for {returned}/{total} of {paid}");
            }
            Assert.Equal(paid, refunded);
        }, iter: 5_000);
    }

    [Fact]
    public void Purchase_bonuses_are_taken_back_only_when_the_whole_purchase_comes_back()
    {
        Assert.Equal(0, Returns.BonusPointsToReverse(250, purchaseFullyReturned: false));
        Assert.Equal(250, Returns.BonusPointsToReverse(250, purchaseFullyReturned: true));
        Assert.Equal(0, Returns.BonusPointsToReverse(0, purchaseFullyReturned: true));
    }
}
