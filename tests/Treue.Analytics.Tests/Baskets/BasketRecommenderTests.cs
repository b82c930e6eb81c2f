using Treue.Analytics.Baskets;
using Xunit;

namespace Treue.Analytics.Tests.Baskets;

public class BasketRecommenderTests
{
    private static AssociationRule Rule(int[] x, int y, double confidence, double lift) => new(x, [y], 10, 0.1, confidence, lift);

    [Fact]
    public void Recommendations_exclude_owned_items_and_keep_the_strongest_rule_per_item()
    {
        AssociationRule[] rules =
        [
            Rule([1], 2, 0.6, 2.0),
            Rule([1, 3], 2, 0.9, 3.0),
            Rule([1], 3, 0.95, 1.5),
            Rule([4], 5, 0.99, 9.0),
            Rule([3], 6, 0.7, 1.2),
        ];

        var suggestions = BasketRecommender.Recommend(rules, [1, 3], top: 5);

        Assert.Equal([2, 6], suggestions.Select(s => s.Item));
        Assert.Equal(0.9, suggestions[0].Score);
        Assert.Same(rules[1], suggestions[0].Rule);
    }

    [Fact]
    public void Recommendations_are_cut_to_top_n()
    {
        AssociationRule[] rules = [Rule([1], 2, 0.6, 2.0), Rule([1], 3, 0.8, 1.0), Rule([1], 4, 0.8, 1.1)];

        var suggestions = BasketRecommender.Recommend(rules, [1], top: 2);

        Assert.Equal([4, 3], suggestions.Select(s => s.Item));
    }

    [Fact]
    public void Groceries_member_with_liquor_and_wine_is_offered_beer()
    {
        var items = new ItemDictionary();
        var baskets = File.ReadLines(SharedData.File("baskets", "groceries.csv")).Select(l => items.Encode(l.Split(','))).ToArray();
        var rules = AssociationRules.Generate(FpGrowth.Mine(baskets, 0.001), 0.8);
        items.TryGetId("liquor", out var liquor);
        items.TryGetId("red/blush wine", out var wine);

        var suggestions = BasketRecommender.Recommend(rules, [liquor, wine], top: 3);

        Assert.Equal("bottled beer", items[suggestions[0].Item]);
        Assert.Equal(11.235, suggestions[0].Rule.Lift, 0.001);
    }
}
