namespace Treue.Analytics.Baskets;

/// <summary>
/// Maps item names (SKUs, categories, anything) to dense integer ids and back, so that baskets can be mined as ints.
/// </summary>
public sealed class ItemDictionary
{
    private readonly Dictionary<string, int> _ids = new(StringComparer.Ordinal);
    private readonly List<string> _names = [];

    /// <summary>Number of distinct items.</summary>
    public int Count => _names.Count;

    /// <summary>The name of an item id.</summary>
    /// <param name="id">An id returned by <see cref="GetOrAdd"/>.</param>
    public string this[int id] => _names[id];

    /// <summary>The id of <paramref name="name"/>, adding it with the next id when it is new.</summary>
    /// <param name="name">Item name; compared ordinally.</param>
    /// <returns>The item's id, 0 or greater.</returns>
    public int GetOrAdd(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (_ids.TryGetValue(name, out var id))
            return id;
        id = _names.Count;
        _ids.Add(name, id);
        _names.Add(name);
        return id;
    }

    /// <summary>Looks up the id of a known item.</summary>
    /// <param name="name">Item name.</param>
    /// <param name="id">The id when found.</param>
    /// <returns>Whether the item is known.</returns>
    public bool TryGetId(string name, out int id) => _ids.TryGetValue(name, out id);

    /// <summary>Encodes one basket: ids of its items, distinct and ascending, adding unknown items.</summary>
    /// <param name="basket">Item names; duplicates count once.</param>
    /// <returns>The encoded basket.</returns>
    public int[] Encode(IEnumerable<string> basket)
    {
        var ids = new List<int>();
        foreach (var name in basket)
            ids.Add(GetOrAdd(name));
        return Normalize(ids);
    }

    /// <summary>Encodes many baskets (see <see cref="Encode(IEnumerable{string})"/>).</summary>
    /// <param name="baskets">Baskets of item names.</param>
    /// <returns>One encoded basket per input basket, in order.</returns>
    public int[][] EncodeAll(IEnumerable<IEnumerable<string>> baskets) => [.. baskets.Select(Encode)];

    /// <summary>Names of item ids, in the order given.</summary>
    /// <param name="ids">Item ids.</param>
    /// <returns>The names.</returns>
    public string[] Names(IEnumerable<int> ids) => [.. ids.Select(id => _names[id])];

    internal static int[] Normalize(IEnumerable<int> ids)
    {
        var array = ids.ToArray();
        Array.Sort(array);
        var length = 0;
        for (var i = 0; i < array.Length; i++)
        {
            if (length == 0 || array[i] != array[length - 1])
                array[length++] = array[i];
        }
        return length == array.Length ? array : array[..length];
    }
}
