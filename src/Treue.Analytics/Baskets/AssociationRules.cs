namespace Treue.Analytics.Baskets;

/// <summary>An association rule "baskets with <paramref name="Antecedent"/> also hold <paramref name="Consequent"/>".</summary>
/// <param name="Antecedent">Item ids of the left-hand side, ascending, not empty.</param>
/// <param name="Consequent">Item ids of the right-hand side, ascending, not empty, disjoint from the antecedent.</param>
/// <param name="Count">Baskets that contain both sides.</param>
/// <param name="Support">Count / number of baskets.</param>
/// <param name="Confidence">Count / baskets with the antecedent: the estimated P(consequent | antecedent).</param>
/// <param name="Lift">Confidence / support of the consequent: how much the antecedent raises the consequent's odds.</param>
public sealed record AssociationRule(int[] Antecedent, int[] Consequent, int Count, double Support, double Confidence, double Lift);

/// <summary>Association rules from frequent itemsets (Agrawal, Srikant 1994), as arules' <c>apriori</c> reports them.</summary>
public static class AssociationRules
{
    /// <summary>
    /// Generates every rule X → Y with X ∪ Y frequent, X and Y non-empty, |Y| ≤ <paramref name="maxConsequentLength"/>
    /// and confidence ≥ <paramref name="minConfidence"/>.
    /// </summary>
    /// <remarks>Rules with an empty antecedent (arules' <c>{} =&gt; {item}</c>) are not generated: they recommend nothing.</remarks>
    /// <param name="itemsets">Frequent itemsets from <see cref="FpGrowth.Mine"/>; every subset of an itemset must be present (FP-growth guarantees it).</param>
    /// <param name="minConfidence">Minimum confidence in [0, 1].</param>
    /// <param name="maxConsequentLength">Most items on the right-hand side; 1 gives arules' single-consequent rules.</param>
    /// <returns>Rules by descending lift, then confidence, support and the item ids.</returns>
    public static IReadOnlyList<AssociationRule> Generate(FrequentItemsets itemsets, double minConfidence, int maxConsequentLength = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxConsequentLength, 1);
        if (minConfidence is < 0 or > 1 || double.IsNaN(minConfidence))
            throw new ArgumentOutOfRangeException(nameof(minConfidence), "Confidence is a probability in [0, 1].");

        var counts = new Dictionary<ItemsetKey, int>(itemsets.Itemsets.Count);
        foreach (var set in itemsets.Itemsets)
            counts[new ItemsetKey(set.Items)] = set.Count;
        int CountOf(int[] items) => counts.TryGetValue(new ItemsetKey(items), out var c)
            ? c
            : throw new ArgumentException("A subset of a frequent itemset is missing.", nameof(itemsets));

        var n = (double)itemsets.BasketCount;
        var rules = new List<AssociationRule>();
        foreach (var set in itemsets.Itemsets)
        {
            var size = set.Items.Length;
            if (size < 2)
                continue;
            var maxMask = 1 << size;
            for (var mask = 1; mask < maxMask - 1; mask++)
            {
                // mask selects the consequent; skip those larger than asked for.
                var consequentSize = System.Numerics.BitOperations.PopCount((uint)mask);
                if (consequentSize > maxConsequentLength)
                    continue;
                var consequent = new int[consequentSize];
                var antecedent = new int[size - consequentSize];
                for (int i = 0, a = 0, c = 0; i < size; i++)
                {
                    if ((mask & (1 << i)) != 0)
                        consequent[c++] = set.Items[i];
                    else
                        antecedent[a++] = set.Items[i];
                }
                // Confidence from integer counts, as arules computes it, so boundary rules (exactly 0.8) match.
                var confidence = (double)set.Count / CountOf(antecedent);
                if (confidence < minConfidence)
                    continue;
                var lift = confidence / (CountOf(consequent) / n);
                rules.Add(new AssociationRule(antecedent, consequent, set.Count, set.Count / n, confidence, lift));
            }
        }
        rules.Sort(CompareRules);
        return rules;
    }

    private static int CompareRules(AssociationRule x, AssociationRule y)
    {
        var c = y.Lift.CompareTo(x.Lift);
        if (c == 0)
            c = y.Confidence.CompareTo(x.Confidence);
        if (c == 0)
            c = y.Count.CompareTo(x.Count);
        if (c == 0)
            c = x.Antecedent.AsSpan().SequenceCompareTo(y.Antecedent);
        if (c == 0)
            c = x.Consequent.AsSpan().SequenceCompareTo(y.Consequent);
        return c;
    }

    private readonly struct ItemsetKey(int[] items) : IEquatable<ItemsetKey>
    {
        private readonly int[] _items = items;
        private readonly int _hash = Hash(items);

        public bool Equals(ItemsetKey other) => _hash == other._hash && _items.AsSpan().SequenceEqual(other._items);

        public override bool Equals(object? obj) => obj is ItemsetKey other && Equals(other);

        public override int GetHashCode() => _hash;

        private static int Hash(int[] items)
        {
            var hash = new HashCode();
            foreach (var item in items)
                hash.Add(item);
            return hash.ToHashCode();
        }
    }
}

/// <summary>An item suggested to a member and the rule that explains it.</summary>
/// <param name="Item">The suggested item id.</param>
/// <param name="Score">The explaining rule's confidence: the estimated chance the member buys the item.</param>
/// <param name="Rule">The rule with the highest confidence (then lift) among those that fire for the member.</param>
public readonly record struct Recommendation(int Item, double Score, AssociationRule Rule);

/// <summary>"Customers who buy X also buy Y" suggestions from association rules.</summary>
public static class BasketRecommender
{
    /// <summary>
    /// Suggests up to <paramref name="top"/> items the member does not already buy: every rule whose antecedent the
    /// member's items contain suggests its consequent items, scored by the rule's confidence.
    /// </summary>
    /// <param name="rules">Rules, e.g. from <see cref="AssociationRules.Generate"/>.</param>
    /// <param name="owned">Items the member already buys.</param>
    /// <param name="top">Most suggestions to return.</param>
    /// <returns>Suggestions by descending score, then lift, then item id.</returns>
    public static IReadOnlyList<Recommendation> Recommend(IEnumerable<AssociationRule> rules, IEnumerable<int> owned, int top)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(top);
        var have = owned as IReadOnlySet<int> ?? owned.ToHashSet();
        var best = new Dictionary<int, AssociationRule>();
        foreach (var rule in rules)
        {
            if (!rule.Antecedent.All(have.Contains))
                continue;
            foreach (var item in rule.Consequent)
            {
                if (have.Contains(item))
                    continue;
                if (!best.TryGetValue(item, out var current) || Better(rule, current))
                    best[item] = rule;
            }
        }
        return [.. best
            .Select(kv => new Recommendation(kv.Key, kv.Value.Confidence, kv.Value))
            .OrderByDescending(r => r.Score).ThenByDescending(r => r.Rule.Lift).ThenBy(r => r.Item)
            .Take(top)];
    }

    private static bool Better(AssociationRule candidate, AssociationRule current) =>
        candidate.Confidence > current.Confidence
        || (candidate.Confidence == current.Confidence && candidate.Lift > current.Lift)
        || (candidate.Confidence == current.Confidence && candidate.Lift == current.Lift && candidate.Count > current.Count);
}
