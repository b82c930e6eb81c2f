using Treue.Analytics.Baskets;
using Xunit;

namespace Treue.Analytics.Tests.Baskets;

public class ItemDictionaryTests
{
    [Fact]
    public void Encoding_gives_distinct_ascending_ids_and_names_round_trip()
    {
        var items = new ItemDictionary();

        var first = items.Encode(["milk", "bread", "milk"]);
        var second = items.Encode(["butter", "milk"]);

        Assert.Equal([0, 1], first);
        Assert.Equal([0, 2], second);
        Assert.Equal(3, items.Count);
        Assert.Equal(["milk", "butter"], items.Names(second));
        Assert.True(items.TryGetId("butter", out var butter));
        Assert.Equal(2, butter);
        Assert.False(items.TryGetId("Milk", out _));
    }
}
