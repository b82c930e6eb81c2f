namespace Treue.Analytics.Baskets;

/// <summary>A set of items bought together and in how many baskets.</summary>
/// <param name="Items">Item ids, distinct and ascending.</param>
/// <param name="Count">Number of baskets that contain all the items.</param>
public readonly record struct FrequentItemset(int[] Items, int Count);

/// <summary>The frequent itemsets of a set of baskets.</summary>
/// <param name="BasketCount">Number of baskets mined (the support denominator).</param>
/// <param name="MinCount">Smallest basket count an itemset needed to be frequent.</param>
/// <param name="Itemsets">All frequent itemsets, in no particular order.</param>
public sealed record FrequentItemsets(int BasketCount, int MinCount, IReadOnlyList<FrequentItemset> Itemsets)
{
    /// <summary>True when mining stopped at its itemset limit, so <see cref="Itemsets"/> is not all of them.</summary>
    public bool Truncated { get; init; }

    /// <summary>Support of a count: the share of baskets.</summary>
    /// <param name="count">A basket count.</param>
    /// <returns><paramref name="count"/> / <see cref="BasketCount"/>.</returns>
    public double Support(int count) => BasketCount == 0 ? 0 : (double)count / BasketCount;
}

/// <summary>
/// Frequent itemset mining with FP-growth (Han, Pei, Yin 2000): baskets are compressed into a prefix tree of
/// frequent items, and each item's conditional tree is mined recursively, without generating candidates.
/// </summary>
public static class FpGrowth
{
    /// <summary>
    /// The smallest basket count c with c / <paramref name="basketCount"/> ≥ <paramref name="minSupport"/>, compared in
    /// floating point as arules does (9,835 baskets at 0.001 need 10), and at least 1.
    /// </summary>
    /// <param name="minSupport">Minimum support as a share of baskets, in [0, 1].</param>
    /// <param name="basketCount">Number of baskets.</param>
    /// <returns>The minimum count.</returns>
    public static int MinCount(double minSupport, int basketCount)
    {
        if (minSupport is < 0 or > 1 || double.IsNaN(minSupport))
            throw new ArgumentOutOfRangeException(nameof(minSupport), "Support is a share of baskets in [0, 1].");
        var c = (long)Math.Ceiling(minSupport * basketCount);
        // The product may be a hair off an integer; settle it with the same comparison the support test uses.
        while (c > 1 && (double)(c - 1) / basketCount >= minSupport)
            c--;
        while (basketCount > 0 && (double)c / basketCount < minSupport)
            c++;
        return (int)Math.Max(1, c);
    }

    /// <summary>Mines all itemsets whose support is at least <paramref name="minSupport"/>.</summary>
    /// <param name="baskets">Baskets of item ids (0 or greater); duplicates within a basket count once.</param>
    /// <param name="minSupport">Minimum support as a share of baskets.</param>
    /// <param name="maxLength">Largest itemset size to mine (arules' default is 10).</param>
    /// <param name="maxItemsets">
    /// Most itemsets to find; mining stops there and marks the result <see cref="FrequentItemsets.Truncated"/>. A low
    /// support over large baskets has exponentially many itemsets, and this keeps such a request bounded.
    /// </param>
    /// <returns>The frequent itemsets with their counts.</returns>
    public static FrequentItemsets Mine(IReadOnlyList<int[]> baskets, double minSupport, int maxLength = 10, int maxItemsets = int.MaxValue)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxItemsets, 1);
        var minCount = MinCount(minSupport, baskets.Count);

        var maxItem = -1;
        foreach (var basket in baskets)
        {
            foreach (var item in basket)
            {
                ArgumentOutOfRangeException.ThrowIfNegative(item, nameof(baskets));
                maxItem = Math.Max(maxItem, item);
            }
        }
        var counts = new int[maxItem + 1];
        var seen = new int[maxItem + 1];
        var stamp = 0;
        foreach (var basket in baskets)
        {
            stamp++;
            foreach (var item in basket)
            {
                if (seen[item] == stamp)
                    continue;
                seen[item] = stamp;
                counts[item]++;
            }
        }

        // Rank 0 is the most frequent item, so shared prefixes sit near the root and the tree stays small.
        var frequent = Enumerable.Range(0, counts.Length).Where(i => counts[i] >= minCount)
            .OrderByDescending(i => counts[i]).ThenBy(i => i).ToArray();
        var rankOf = new int[counts.Length];
        Array.Fill(rankOf, -1);
        for (var r = 0; r < frequent.Length; r++)
            rankOf[frequent[r]] = r;

        var tree = new FpTree(frequent.Length);
        var path = new List<int>();
        foreach (var basket in baskets)
        {
            path.Clear();
            foreach (var item in basket)
            {
                if (rankOf[item] >= 0)
                    path.Add(rankOf[item]);
            }
            path.Sort();
            var distinct = 0;
            for (var i = 0; i < path.Count; i++)
            {
                if (distinct == 0 || path[i] != path[distinct - 1])
                    path[distinct++] = path[i];
            }
            tree.Insert(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(path)[..distinct], 1);
        }

        var miner = new Miner(minCount, maxLength, maxItemsets, frequent);
        miner.Mine(tree, 0);
        return new FrequentItemsets(baskets.Count, minCount, miner.Results) { Truncated = miner.Full };
    }

    private sealed class Miner(int minCount, int maxLength, int maxItemsets, int[] itemOfRank)
    {
        public bool Full => Results.Count >= maxItemsets;

        private readonly int[] _suffix = new int[maxLength];
        private readonly List<int> _path = [];

        public List<FrequentItemset> Results { get; } = [];

        public void Mine(FpTree tree, int depth)
        {
            for (var r = tree.Ranks - 1; r >= 0 && !Full; r--)
            {
                var support = tree.HeaderCount[r];
                if (support < minCount)
                    continue;
                _suffix[depth] = r;
                Emit(depth + 1, support);
                if (depth + 1 < maxLength)
                {
                    var conditional = Conditional(tree, r);
                    if (conditional is not null)
                        Mine(conditional, depth + 1);
                }
            }
        }

        private void Emit(int length, int count)
        {
            var items = new int[length];
            for (var i = 0; i < length; i++)
                items[i] = itemOfRank[_suffix[i]];
            Array.Sort(items);
            Results.Add(new FrequentItemset(items, count));
        }

        /// <summary>The tree of the prefix paths of <paramref name="rank"/>, keeping only items frequent among them.</summary>
        private FpTree? Conditional(FpTree tree, int rank)
        {
            // Prefix paths only hold ranks below this one, since paths run from frequent to rare.
            var counts = new int[rank];
            for (var node = tree.HeaderFirst[rank]; node >= 0; node = tree.NodeLink[node])
            {
                var weight = tree.Count[node];
                for (var p = tree.Parent[node]; p > 0; p = tree.Parent[p])
                    counts[tree.Item[p]] += weight;
            }
            var top = -1;
            for (var r = 0; r < rank; r++)
            {
                if (counts[r] >= minCount)
                    top = r;
            }
            if (top < 0)
                return null;

            var conditional = new FpTree(top + 1);
            for (var node = tree.HeaderFirst[rank]; node >= 0; node = tree.NodeLink[node])
            {
                _path.Clear();
                for (var p = tree.Parent[node]; p > 0; p = tree.Parent[p])
                {
                    if (counts[tree.Item[p]] >= minCount)
                        _path.Add(tree.Item[p]);
                }
                if (_path.Count == 0)
                    continue;
                _path.Reverse();
                conditional.Insert(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_path), tree.Count[node]);
            }
            return conditional;
        }
    }

    /// <summary>A prefix tree over item ranks in flat arrays; node 0 is the root.</summary>
    private sealed class FpTree
    {
        public int Ranks { get; }
        public int[] HeaderFirst { get; }
        public int[] HeaderCount { get; }
        public int[] Item = new int[16];
        public int[] Count = new int[16];
        public int[] Parent = new int[16];
        public int[] NodeLink = new int[16];
        private int[] _firstChild = new int[16];
        private int[] _nextSibling = new int[16];
        private int _nodes = 1;

        public FpTree(int ranks)
        {
            Ranks = ranks;
            HeaderFirst = new int[ranks];
            HeaderCount = new int[ranks];
            Array.Fill(HeaderFirst, -1);
            Item[0] = -1;
            Parent[0] = -1;
            _firstChild[0] = -1;
            _nextSibling[0] = -1;
        }

        /// <summary>Adds a path of ascending ranks with a weight.</summary>
        public void Insert(ReadOnlySpan<int> ranks, int weight)
        {
            var current = 0;
            foreach (var r in ranks)
            {
                var child = _firstChild[current];
                while (child >= 0 && Item[child] != r)
                    child = _nextSibling[child];
                if (child < 0)
                {
                    child = NewNode(r, current);
                }
                Count[child] += weight;
                HeaderCount[r] += weight;
                current = child;
            }
        }

        private int NewNode(int rank, int parent)
        {
            if (_nodes == Item.Length)
            {
                var size = Item.Length * 2;
                Array.Resize(ref Item, size);
                Array.Resize(ref Count, size);
                Array.Resize(ref Parent, size);
                Array.Resize(ref NodeLink, size);
                Array.Resize(ref _firstChild, size);
                Array.Resize(ref _nextSibling, size);
            }
            var node = _nodes++;
            Item[node] = rank;
            Count[node] = 0;
            Parent[node] = parent;
            _firstChild[node] = -1;
            _nextSibling[node] = _firstChild[parent];
            _firstChild[parent] = node;
            NodeLink[node] = HeaderFirst[rank];
            HeaderFirst[rank] = node;
            return node;
        }
    }
}
