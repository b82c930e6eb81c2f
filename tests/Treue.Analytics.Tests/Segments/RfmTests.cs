using System.Diagnostics;
using CsCheck;
using Xunit;
using Treue.Analytics.Segments;

namespace Treue.Analytics.Tests.Segments;

public class RfmTests(ITestOutputHelper output)
{
    private static readonly DateOnly AsOf = new(2024, 12, 31);

    private static CustomerTotals Totals(int daysAgo, int purchases, long revenue) =>
        new(AsOf.AddDays(-daysAgo - 100), default, AsOf.AddDays(-daysAgo), purchases, purchases, revenue);

    [Fact]
    public void Best_customer_scores_555_and_is_a_champion_worst_scores_111_and_is_lost()
    {
        var totals = Enumerable.Range(0, 10).Select(i => Totals(daysAgo: 100 - i * 10, purchases: i + 1, revenue: 1000 * (i + 1))).ToArray();

        var result = Rfm.Score(totals, AsOf);

        Assert.Equal(555, result.Scores[9].Code);
        Assert.Equal(RfmSegment.Champions, result.Scores[9].Segment);
        Assert.Equal(111, result.Scores[0].Code);
        Assert.Equal(RfmSegment.Lost, result.Scores[0].Segment);
        Assert.Equal(10, result.Scores[9].RecencyDays);
        Assert.Equal([1, 1, 2, 2, 3, 3, 4, 4, 5, 5], result.Scores.Select(s => (int)s.R));
    }

    [Fact]
    public void Customers_without_purchases_are_not_scored()
    {
        CustomerTotals[] totals = [Totals(5, 1, 100), default];

        var result = Rfm.Score(totals, AsOf);

        Assert.Equal(1, result.ScoredCustomers);
        Assert.False(result.Scores[1].IsScored);
        Assert.Equal(RfmSegment.None, result.Scores[1].Segment);
    }

    [Fact]
    public void Purchases_after_the_as_of_day_are_rejected()
    {
        CustomerTotals[] totals = [Totals(-1, 1, 100)];

        Assert.Throws<ArgumentException>(() => Rfm.Score(totals, AsOf));
    }

    [Fact]
    public void Score_from_events_reads_only_purchases_up_to_the_as_of_day()
    {
        PurchaseEvent[] events = [new(0, AsOf.AddDays(-3), 100), new(0, AsOf.AddDays(2), 900), new(1, AsOf.AddDays(1), 100)];

        var result = Rfm.Score(events, 2, AsOf);

        Assert.Equal(3, result.Scores[0].RecencyDays);
        Assert.Equal(100, result.Scores[0].Monetary);
        Assert.False(result.Scores[1].IsScored);
    }

    [Fact]
    public void Equal_frequencies_get_equal_scores_whatever_the_customer_order()
    {
        // Six one-time buyers, two with 2 purchases, two with 5: equal values must not be split.
        int[] frequencies = [1, 5, 1, 2, 1, 1, 2, 1, 5, 1];
        var totals = frequencies.Select((f, i) => Totals(i, f, 100 + i)).ToArray();

        var result = Rfm.Score(totals, AsOf);

        Assert.Equal([1, 5, 1, 4, 1, 1, 4, 1, 5, 1], result.Scores.Select(s => (int)s.F));
    }

    [Fact]
    public void Scores_do_not_depend_on_customer_order_when_equal_values_share_a_score()
    {
        var gen = Gen.Select(Gen.Int[0, 30], Gen.Int[1, 6], Gen.Long[0, 50]).Array[1, 80];
        Gen.Select(gen, Gen.Int).Sample((rows, seed) =>
        {
            var totals = rows.Select(r => Totals(r.Item1, r.Item2, r.Item3)).ToArray();
            var permutation = Enumerable.Range(0, totals.Length).ToArray();
            new Random(seed).Shuffle(permutation);
            var shuffled = permutation.Select(i => totals[i]).ToArray();

            var a = Rfm.Score(totals, AsOf).Scores;
            var b = Rfm.Score(shuffled, AsOf).Scores;

            return permutation.Select((original, position) => a[original] == b[position]).All(x => x);
        });
    }

    [Fact]
    public void Scores_are_within_one_to_five_and_quintiles_hold_a_fifth_of_customers_each()
    {
        Gen.Select(Gen.Int[0, 1000], Gen.Int[1, 50], Gen.Long[0, 1_000_000]).Array[5, 400].Sample(rows =>
        {
            var totals = rows.Select(r => Totals(r.Item1, r.Item2, r.Item3)).ToArray();
            var n = totals.Length;
            foreach (var ties in new[] { RfmTies.SameValueSameScore, RfmTies.ByCustomerIndex })
            {
                var scores = Rfm.Score(totals, AsOf, options: new RfmOptions(ties)).Scores;
                if (scores.Any(s => s.R is < 1 or > 5 || s.F is < 1 or > 5 || s.M is < 1 or > 5 || s.Segment == RfmSegment.None))
                    return false;
                if (ties != RfmTies.ByCustomerIndex)
                    continue;
                // Exact quintiles: each score covers ⌊n/5⌋ or ⌈n/5⌉ customers.
                foreach (var pick in new Func<RfmScore, int>[] { s => s.R, s => s.F, s => s.M })
                {
                    for (var q = 1; q <= 5; q++)
                    {
                        var size = scores.Count(s => pick(s) == q);
                        if (size < n / 5 || size > (n + 4) / 5)
                            return false;
                    }
                }
            }
            return true;
        });
    }

    [Fact]
    public void Monetary_scores_match_the_definition_for_narrow_wide_and_extreme_ranges()
    {
        var monetary = Gen.OneOf(Gen.Long[0, 20], Gen.Long[0, 1L << 40], Gen.Long).Array[1, 60];
        monetary.Sample(values =>
        {
            var n = values.Length;
            var totals = values.Select(_ => Totals(1, 1, 0)).ToArray();
            var same = Rfm.Score(totals, AsOf, values).Scores;
            var byIndex = Rfm.Score(totals, AsOf, values, new RfmOptions(RfmTies.ByCustomerIndex)).Scores;
            var order = Enumerable.Range(0, n).OrderBy(i => values[i]).ThenBy(i => i).ToArray();
            for (var i = 0; i < n; i++)
            {
                var worse = values.Count(v => v < values[i]);
                if (same[i].M != 1 + worse * 5 / n || byIndex[i].M != 1 + Array.IndexOf(order, i) * 5 / n)
                    return false;
            }
            return true;
        });
    }

    [Fact]
    public void Ties_by_customer_index_rank_the_higher_index_better()
    {
        var totals = Enumerable.Range(0, 5).Select(_ => Totals(3, 1, 100)).ToArray();

        var result = Rfm.Score(totals, AsOf, options: new RfmOptions(RfmTies.ByCustomerIndex));

        Assert.Equal([1, 2, 3, 4, 5], result.Scores.Select(s => (int)s.F));
    }

    [Fact]
    public void Monetary_can_be_margin_instead_of_revenue()
    {
        // Revenue and margin in opposite orders; five customers so that the quintiles reach 5.
        var totals = Enumerable.Range(0, 5).Select(i => Totals(1, 1, 1000 - i * 10)).ToArray();

        var result = Rfm.Score(totals, AsOf, [5, 500, 50, 60, 70]);

        Assert.Equal(1, result.Scores[0].M);
        Assert.Equal(5, result.Scores[1].M);
        Assert.Equal(500, result.Scores[1].Monetary);
    }

    [Fact]
    public void Standard_grid_names_every_segment_and_maps_as_documented()
    {
        var grid = Rfm.StandardGrid;
        var named = grid.SelectMany(row => row).Distinct().Order().ToArray();

        Assert.Equal(Enum.GetValues<RfmSegment>().Where(s => s != RfmSegment.None).ToArray(), named);
        Assert.Equal(RfmSegment.CantLoseThem, Rfm.SegmentOf(1, 5));
        Assert.Equal(RfmSegment.New, Rfm.SegmentOf(5, 1));
        Assert.Equal(RfmSegment.NeedAttention, Rfm.SegmentOf(3, 3));
        Assert.Equal(RfmSegment.Hibernating, Rfm.SegmentOf(2, 1));
    }

    [Fact]
    public void Segment_summary_partitions_customers_and_monetary()
    {
        var random = new Random(7);
        var totals = Enumerable.Range(0, 5000).Select(_ => Totals(random.Next(365), random.Next(1, 20), random.Next(100_000))).ToArray();

        var result = Rfm.Score(totals, AsOf);

        Assert.Equal(5000, result.Segments.Sum(s => s.Customers));
        Assert.Equal(totals.Sum(t => t.RevenueMinor), result.Segments.Sum(s => s.Monetary));
        Assert.Equal(1, result.Segments.Sum(s => s.MonetaryShare), 9);
        Assert.Equal(result.Scores.Count(s => s.Segment == RfmSegment.Champions), result.Segments.Single(s => s.Segment == RfmSegment.Champions).Customers);
    }

    [Fact]
    public void Transitions_count_moves_and_new_members_come_from_none()
    {
        var d1 = new DateOnly(2024, 6, 30);
        PurchaseEvent[] events =
        [
            new(0, d1.AddDays(-200), 100),
            new(1, d1.AddDays(-1), 5000),
            new(1, d1.AddDays(-1), 5000),
            new(2, d1.AddDays(-100), 300),
            new(0, d1.AddDays(100), 9000),
            new(3, d1.AddDays(150), 50),
        ];
        var first = Rfm.Score(events, 5, d1);
        var second = Rfm.Score(events, 5, d1.AddDays(180));

        var transitions = RfmTransitions.Between(first, second);

        Assert.Equal(1, transitions[RfmSegment.None, second.Scores[3].Segment]);
        Assert.Equal(4, transitions.Counts.Cast<int>().Sum());
        for (var c = 0; c < 3; c++)
            Assert.True(transitions[first.Scores[c].Segment, second.Scores[c].Segment] >= 1);
        Assert.Equal(0, transitions[RfmSegment.None, RfmSegment.None]);
    }

    [Fact]
    public void A_million_customers_are_all_scored_and_segmented()
    {
        var random = new Random(1);
        var totals = new CustomerTotals[1_000_000];
        for (var i = 0; i < totals.Length; i++)
        {
            var purchases = 1 + (int)(-Math.Log(1 - random.NextDouble()) * 3);
            totals[i] = Totals(random.Next(730), purchases, random.Next(1, 1_000_000));
        }
        Rfm.Score(totals.AsSpan(0, 1000), AsOf);

        // Speed is measured in bench/Treue.Bench.Analytics; here only that a million customers are all scored.
        var watch = Stopwatch.StartNew();
        var result = Rfm.Score(totals, AsOf);
        output.WriteLine($"RFM of 1,000,000 customers: {watch.Elapsed.TotalMilliseconds:F0} ms");
        Assert.Equal(1_000_000, result.ScoredCustomers);
        Assert.Equal(1_000_000, result.Segments.Sum(s => s.Customers));
    }
}
