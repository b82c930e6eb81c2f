using CsCheck;
using Xunit;
using Treue.Domain.Promotions;

namespace Treue.Domain.Tests.Promotions;

public sealed class MinorUnitsTests
{
    [Fact]
    public void An_even_split_gives_the_odd_cents_to_the_earlier_lines()
    {
        Assert.Equal([34L, 33L, 33L], MinorUnits.Allocate(100, [1m, 1m, 1m], [1000, 1000, 1000]));
    }

    [Fact]
    public void A_line_at_its_cap_passes_the_rest_to_the_others()
    {
        // By weight the first line would get 90, but it only costs 10.
        Assert.Equal([10L, 45L, 45L], MinorUnits.Allocate(100, [9m, 0.5m, 0.5m], [10, 1000, 1000]));
    }

    [Fact]
    public void More_than_the_caps_gives_every_line_its_cap()
    {
        Assert.Equal([10L, 20L], MinorUnits.Allocate(1000, [1m, 1m], [10, 20]));
    }

    [Fact]
    public void Shares_add_up_to_the_amount_and_stay_within_the_caps()
    {
        var gen = Gen.Select(Gen.Long[0, 1_000_000], Gen.Select(Gen.Int[0, 10_000], Gen.Long[0, 100_000]).Array[1, 12]);
        Check.Sample(gen, t =>
        {
            var (amount, lines) = t;
            var weights = lines.Select(l => (decimal)l.Item1).ToArray();
            var caps = lines.Select(l => l.Item2).ToArray();
            var shares = MinorUnits.Allocate(amount, weights, caps);
            Assert.Equal(Math.Min(amount, caps.Sum()), shares.Sum());
            for (var i = 0; i < shares.Length; i++)
                Assert.InRange(shares[i], 0, caps[i]);
        }, iter: 5_000);
    }

    [Fact]
    public void Cumulative_shares_of_successive_parts_add_up_to_the_whole()
    {
        Assert.Equal(33, MinorUnits.Share(100, 1, 3));
        Assert.Equal(66, MinorUnits.Share(100, 2, 3));
        Assert.Equal(100, MinorUnits.Share(100, 3, 3));
        Assert.Equal(0, MinorUnits.Share(100, 0, 3));
    }
}
