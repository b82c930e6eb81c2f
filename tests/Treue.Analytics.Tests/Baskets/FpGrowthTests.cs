using System.Diagnostics;
using CsCheck;
using Treue.Analytics.Baskets;
using Xunit;

namespace Treue.Analytics.Tests.Baskets;

public class FpGrowthTests(ITestOutputHelper output)
{
    private static (ItemDictionary Items, int[][] Baskets) Read(string file)
    {
        var items = new ItemDictionary();
        var baskets = File.ReadLines(SharedData.File("baskets", file))
            .Where(line => line.Length > 0)
            .Select(line => items.Encode(line.Split(',')))
            .ToArray();
        return (items, baskets);
    }

    [Fact]
    public void Groceries_rules_match_the_arules_reference()
    {
        var (items, baskets) = Read("groceries.csv");
        Assert.Equal(9835, baskets.Length);
        Assert.Equal(169, items.Count);

        var watch = Stopwatch.StartNew();
        var itemsets = FpGrowth.Mine(baskets, 0.001);
        var rules = AssociationRules.Generate(itemsets, 0.8);
        watch.Stop();
        output.WriteLine($"Groceries: {itemsets.Itemsets.Count} frequent itemsets, {rules.Count} rules in {watch.ElapsedMilliseconds} ms");

        Assert.Equal(10, itemsets.MinCount);
        Assert.Equal(410, rules.Count);
        var best = rules[0];
        Assert.Equal(["liquor", "red/blush wine"], items.Names(best.Antecedent).Order());
        Assert.Equal(["bottled beer"], items.Names(best.Consequent));
        Assert.Equal(11.235, best.Lift, 0.001);
        Assert.All(rules, r => Assert.True(r.Confidence >= 0.8 && r.Count >= 10 && r.Consequent.Length == 1));
    }

    [Fact]
    public void Min_count_follows_the_support_comparison()
    {
        Assert.Equal(10, FpGrowth.MinCount(0.001, 9835));
        Assert.Equal(259, FpGrowth.MinCount(0.01, 25900));
        Assert.Equal(1, FpGrowth.MinCount(0, 100));
        Assert.Equal(3, FpGrowth.MinCount(0.3, 10));
    }

    [Fact]
    public void Itemset_supports_equal_brute_force_counts_on_small_random_baskets()
    {
        var basketsGen = Gen.Int[0, 7].ArrayUnique[0, 6].Array[1, 40];
        Gen.Select(basketsGen, Gen.Int[1, 4]).Sample((raw, minCount) =>
        {
            var baskets = raw.Select(b => b.Order().ToArray()).ToArray();
            minCount = Math.Min(minCount, baskets.Length);
            var result = FpGrowth.Mine(baskets, (double)minCount / baskets.Length);

            // Every subset of the 8 items with a brute-force count ≥ minCount must be found with that count, and nothing else.
            var expected = new Dictionary<string, int>();
            for (var mask = 1; mask < 256; mask++)
            {
                var set = Enumerable.Range(0, 8).Where(i => (mask & (1 << i)) != 0).ToArray();
                var count = baskets.Count(b => set.All(b.Contains));
                if (count >= result.MinCount)
                    expected[string.Join(",", set)] = count;
            }
            var actual = result.Itemsets.ToDictionary(s => string.Join(",", s.Items), s => s.Count);
            return result.MinCount == minCount
                && actual.Count == result.Itemsets.Count
                && expected.Count == actual.Count
                && expected.All(kv => actual.TryGetValue(kv.Key, out var c) && c == kv.Value);
        });
    }

    [Fact]
    public void Mining_stops_at_the_itemset_limit_and_says_so()
    {
        // One basket of 20 items at support 1 has 2^20 - 1 frequent itemsets.
        var baskets = new[] { Enumerable.Range(0, 20).ToArray() };
        var limited = FpGrowth.Mine(baskets, 1.0, maxLength: 20, maxItemsets: 1000);
        Assert.True(limited.Truncated);
        Assert.Equal(1000, limited.Itemsets.Count);
        // Itemsets of one or two items: 20 + 190, under the limit.
        var whole = FpGrowth.Mine(baskets, 1.0, maxLength: 2, maxItemsets: 1000);
        Assert.False(whole.Truncated);
        Assert.Equal(210, whole.Itemsets.Count);
    }

    [Fact]
    public void Max_length_limits_itemset_size()
    {
        int[][] baskets = [[0, 1, 2, 3], [0, 1, 2, 3], [0, 1, 2]];

        var result = FpGrowth.Mine(baskets, 0.5, maxLength: 2);

        Assert.Equal(4 + 6, result.Itemsets.Count);
        Assert.All(result.Itemsets, s => Assert.True(s.Items.Length <= 2));
    }

    [Fact]
    public void Rules_with_several_consequents_recompute_by_brute_force()
    {
        int[][] baskets = [[0, 1, 2], [0, 1, 2], [0, 1], [1, 2], [0, 2, 3], [0, 1, 2, 3]];

        var rules = AssociationRules.Generate(FpGrowth.Mine(baskets, 0.3), 0.5, maxConsequentLength: 2);

        Assert.Contains(rules, r => r.Consequent.Length == 2);
        AssertRulesRecompute(baskets, rules, 0.5);
        // {0} -> {1, 2}: 3 of the 5 baskets with 0 hold 1 and 2; 4 of 6 baskets hold both, so lift = 0.6 / (4/6).
        var rule = rules.Single(r => r.Antecedent.SequenceEqual([0]) && r.Consequent.SequenceEqual([1, 2]));
        Assert.Equal(0.6, rule.Confidence, 12);
        Assert.Equal(0.9, rule.Lift, 12);
    }

    [Fact]
    public void Online_retail_rules_recompute_by_brute_force()
    {
        var (_, baskets) = Read("online_retail_baskets.csv");

        var watch = Stopwatch.StartNew();
        var itemsets = FpGrowth.Mine(baskets, 0.01);
        var rules = AssociationRules.Generate(itemsets, 0.5);
        watch.Stop();
        output.WriteLine($"Online retail: {baskets.Length} baskets, {itemsets.Itemsets.Count} frequent itemsets, {rules.Count} rules in {watch.ElapsedMilliseconds} ms");

        Assert.NotEmpty(rules);
        AssertRulesRecompute(baskets, rules, 0.5, 0.01);
    }

    private static void AssertRulesRecompute(int[][] baskets, IReadOnlyList<AssociationRule> rules, double minConfidence, double minSupport = 0)
    {
        var sets = baskets.Select(b => b.ToHashSet()).ToArray();
        foreach (var rule in rules)
        {
            int both = 0, left = 0, right = 0;
            foreach (var s in sets)
            {
                var x = rule.Antecedent.All(s.Contains);
                var y = rule.Consequent.All(s.Contains);
                left += x ? 1 : 0;
                right += y ? 1 : 0;
                both += x && y ? 1 : 0;
            }
            Assert.Empty(rule.Antecedent.Intersect(rule.Consequent));
            Assert.Equal(both, rule.Count);
            Assert.Equal((double)both / baskets.Length, rule.Support, 12);
            Assert.Equal((double)both / left, rule.Confidence, 12);
            Assert.Equal((double)both / left / ((double)right / baskets.Length), rule.Lift, 9);
            Assert.True(rule.Confidence >= minConfidence && rule.Support >= minSupport);
        }
    }
}
