using CsCheck;
using Xunit;
using Treue.Analytics.Segments;

namespace Treue.Analytics.Tests.Segments;

public class AbcAnalysisTests
{
    [Fact]
    public void Gini_of_equal_values_is_zero()
    {
        Assert.Equal(0, AbcAnalysis.Gini([7, 7, 7, 7]), 12);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(5)]
    [InlineData(1000)]
    public void Gini_when_one_customer_has_everything_is_n_minus_1_over_n(int n)
    {
        var values = new long[n];
        values[n / 2] = 12345;

        Assert.Equal((n - 1.0) / n, AbcAnalysis.Gini(values), 12);
    }

    [Fact]
    public void Gini_matches_a_hand_computed_case()
    {
        // Sorted 1, 2, 3, 4: Σ i·x = 1 + 4 + 9 + 16 = 30, so G = 2·30 / (4·10) − 5/4 = 0.25.
        Assert.Equal(0.25, AbcAnalysis.Gini([3, 1, 4, 2]), 12);
        // Mean absolute difference form: Σ|xi − xj| over ordered pairs / (2 n² mean) for 0, 0, 10: 40 / (2·9·10/3) = 2/3.
        Assert.Equal(2.0 / 3, AbcAnalysis.Gini([0, 10, 0]), 12);
    }

    [Fact]
    public void Gini_property_lies_in_zero_to_one_and_equals_the_mean_difference_formula()
    {
        Gen.Long[0, 1_000_000].Array[1, 60].Sample(values =>
        {
            var g = AbcAnalysis.Gini(values);
            double sumAbs = 0, total = values.Sum();
            foreach (var x in values)
                foreach (var y in values)
                    sumAbs += Math.Abs(x - y);
            var expected = total == 0 ? 0 : sumAbs / (2.0 * values.Length * total);
            return g >= 0 && g < 1 && Math.Abs(g - expected) < 1e-9;
        });
    }

    [Fact]
    public void Customer_straddling_the_A_cut_off_is_in_class_A()
    {
        // Total 100: 50 (cum before 0), 30 (before 50 < 80 → A, straddles to 80), 10 (before 80 → B), 5 (before 90 < 95 → B), 5 (before 95 → C).
        long[] values = [10, 50, 5, 30, 5];

        var result = AbcAnalysis.Analyze(values);

        Assert.Equal([AbcClass.B, AbcClass.A, AbcClass.B, AbcClass.A, AbcClass.C], result.Classes);
        Assert.Equal([1, 3, 0, 2, 4], result.Ranking);
        Assert.Equal(0.8, result.Summary[0].ValueShare, 12);
        Assert.Equal(0.4, result.Summary[0].CustomerShare, 12);
        Assert.Equal(0.15, result.Summary[1].ValueShare, 12);
        Assert.Equal(0.05, result.Summary[2].ValueShare, 12);
    }

    [Fact]
    public void Cut_offs_are_configurable()
    {
        long[] values = [10, 50, 5, 30, 5];

        var result = AbcAnalysis.Analyze(values, new AbcOptions(AShare: 0.5, BShare: 0.3));

        Assert.Equal([AbcClass.C, AbcClass.A, AbcClass.C, AbcClass.B, AbcClass.C], result.Classes);
    }

    [Fact]
    public void Pareto_curve_runs_from_origin_to_one_and_is_downsampled()
    {
        var values = Enumerable.Range(1, 10_000).Select(i => (long)i).ToArray();

        var curve = AbcAnalysis.Analyze(values).ParetoCurve;

        Assert.Equal(200, curve.Count);
        Assert.Equal(new CurvePoint(0, 0), curve[0]);
        Assert.Equal(1, curve[^1].CustomerShare, 12);
        Assert.Equal(1, curve[^1].ValueShare, 12);
        for (var i = 1; i < curve.Count; i++)
        {
            Assert.True(curve[i].CustomerShare > curve[i - 1].CustomerShare);
            Assert.True(curve[i].ValueShare >= curve[i - 1].ValueShare);
            // Best customers first, so the curve is on or above the diagonal.
            Assert.True(curve[i].ValueShare >= curve[i].CustomerShare - 1e-12);
        }
    }

    [Fact]
    public void ABC_classes_partition_customers_and_shares_sum_to_one()
    {
        Gen.Long[0, 100_000].Array[1, 300].Sample(values =>
        {
            var result = AbcAnalysis.Analyze(values);
            var customers = result.Summary.Sum(s => s.Customers);
            var customerShare = result.Summary.Sum(s => s.CustomerShare);
            var valueShare = result.Summary.Sum(s => s.ValueShare);
            var classValue = result.Summary.Sum(s => s.Value);
            var total = values.Sum();
            // Ranking is a permutation with values descending.
            var ranked = result.Ranking.Select(c => values[c]).ToArray();
            var sortedDescending = ranked.Zip(ranked.Skip(1)).All(p => p.First >= p.Second);
            return customers == values.Length
                && Math.Abs(customerShare - 1) < 1e-9
                && (total == 0 || Math.Abs(valueShare - 1) < 1e-9)
                && classValue == total
                && result.Ranking.Distinct().Count() == values.Length
                && sortedDescending
                && (total == 0 || result.Summary[0].ValueShare >= 0.8 - 1e-12);
        });
    }
}
