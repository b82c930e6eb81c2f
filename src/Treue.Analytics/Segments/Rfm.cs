using System.Numerics;

namespace Treue.Analytics.Segments;

/// <summary>The named RFM segments of the recency × frequency-monetary grid.</summary>
public enum RfmSegment
{
    /// <summary>Not scored: no purchase up to the as-of day (or not a customer yet).</summary>
    None = 0,
    /// <summary>Bought recently, buy often and spend the most.</summary>
    Champions,
    /// <summary>Buy often and spend well, fairly recently.</summary>
    Loyal,
    /// <summary>Recent customers with average frequency and spend.</summary>
    PotentialLoyalist,
    /// <summary>Bought very recently, but little and rarely so far.</summary>
    New,
    /// <summary>Recent shoppers who have not spent much.</summary>
    Promising,
    /// <summary>Average on all three measures.</summary>
    NeedAttention,
    /// <summary>Below average recency with low frequency and spend.</summary>
    AboutToSleep,
    /// <summary>Bought often and spent well, but long ago.</summary>
    AtRisk,
    /// <summary>Were among the best customers and have not come back for a long time.</summary>
    CantLoseThem,
    /// <summary>Last purchase long ago, low frequency and spend.</summary>
    Hibernating,
    /// <summary>Lowest recency, frequency and spend.</summary>
    Lost,
}

/// <summary>How customers with equal values are scored.</summary>
public enum RfmTies
{
    /// <summary>
    /// Equal values get equal scores: a customer's score is 1 + ⌊5·b/n⌋ where b is the number of scored customers
    /// with a strictly worse value. Scores never depend on customer indexes, but large tie groups (one-time buyers)
    /// make quintiles uneven.
    /// </summary>
    SameValueSameScore,
    /// <summary>
    /// Customers are ranked by value, ties by ascending customer index (the higher index ranks better), and cut into
    /// five groups of equal size (±1): exact quintiles, deterministic, but equal values may straddle a boundary.
    /// </summary>
    ByCustomerIndex,
}

/// <summary>Options of RFM scoring.</summary>
/// <param name="Ties">How equal values are scored. Default <see cref="RfmTies.SameValueSameScore"/>.</param>
/// <param name="Grid">
/// Segment per recency score (row, index R−1) and FM score (column, index FM−1), 5×5; <see langword="null"/> for
/// <see cref="Rfm.StandardGrid"/>.
/// </param>
public sealed record RfmOptions(RfmTies Ties = RfmTies.SameValueSameScore, RfmSegment[][]? Grid = null);

/// <summary>RFM values and scores of one customer.</summary>
/// <param name="RecencyDays">Days from the last purchase to the as-of day (0 = bought on the as-of day).</param>
/// <param name="Frequency">Number of purchases.</param>
/// <param name="Monetary">Revenue or margin in minor units.</param>
/// <param name="R">Recency score 1..5 (5 = most recent), 0 when not scored.</param>
/// <param name="F">Frequency score 1..5 (5 = most frequent), 0 when not scored.</param>
/// <param name="M">Monetary score 1..5 (5 = highest spend), 0 when not scored.</param>
/// <param name="Segment">The named segment from R and FM.</param>
public readonly record struct RfmScore(int RecencyDays, int Frequency, long Monetary, byte R, byte F, byte M, RfmSegment Segment)
{
    /// <summary>Whether the customer had bought by the as-of day and was scored.</summary>
    public bool IsScored => R != 0;

    /// <summary>The combined frequency-monetary score, (F + M) / 2 rounded half up, 1..5.</summary>
    public int FM => (F + M + 1) / 2;

    /// <summary>The three digits as one number, e.g. 545.</summary>
    public int Code => R * 100 + F * 10 + M;
}

/// <summary>Size and revenue of one RFM segment.</summary>
/// <param name="Segment">The segment.</param>
/// <param name="Customers">Number of customers in it.</param>
/// <param name="CustomerShare">Customers over all scored customers.</param>
/// <param name="Monetary">Sum of the members' monetary values.</param>
/// <param name="MonetaryShare">Monetary over the total of scored customers (0 when that total is 0).</param>
public readonly record struct RfmSegmentSummary(RfmSegment Segment, int Customers, double CustomerShare, long Monetary, double MonetaryShare);

/// <summary>Result of RFM scoring as of one day.</summary>
/// <param name="AsOf">The day recency is measured to.</param>
/// <param name="Scores">Scores indexed by customer; customers without purchases are unscored (<see cref="RfmSegment.None"/>).</param>
/// <param name="ScoredCustomers">Number of scored customers.</param>
/// <param name="Segments">One entry per named segment (without <see cref="RfmSegment.None"/>), in enum order.</param>
public sealed record RfmResult(DateOnly AsOf, RfmScore[] Scores, int ScoredCustomers, IReadOnlyList<RfmSegmentSummary> Segments);

/// <summary>Hughes' RFM analysis: recency, frequency and monetary quintile scores and the named segments.</summary>
public static class Rfm
{
    private static readonly RfmSegment[][] Standard =
    [
        // R = 1: FM 1..5
        [RfmSegment.Lost, RfmSegment.Lost, RfmSegment.AtRisk, RfmSegment.CantLoseThem, RfmSegment.CantLoseThem],
        // R = 2
        [RfmSegment.Hibernating, RfmSegment.Hibernating, RfmSegment.AtRisk, RfmSegment.AtRisk, RfmSegment.AtRisk],
        // R = 3
        [RfmSegment.AboutToSleep, RfmSegment.AboutToSleep, RfmSegment.NeedAttention, RfmSegment.Loyal, RfmSegment.Loyal],
        // R = 4
        [RfmSegment.Promising, RfmSegment.PotentialLoyalist, RfmSegment.PotentialLoyalist, RfmSegment.Loyal, RfmSegment.Champions],
        // R = 5
        [RfmSegment.New, RfmSegment.PotentialLoyalist, RfmSegment.PotentialLoyalist, RfmSegment.Champions, RfmSegment.Champions],
    ];

    /// <summary>
    /// The standard R × FM grid (a copy): rows R = 1..5, columns FM = 1..5. See docs/analytics.md for the table.
    /// </summary>
    public static RfmSegment[][] StandardGrid => [.. Standard.Select(row => row.ToArray())];

    /// <summary>The segment of the standard grid for a recency score and an FM score, both 1..5.</summary>
    /// <param name="r">Recency score 1..5.</param>
    /// <param name="fm">Combined frequency-monetary score 1..5.</param>
    /// <returns>The named segment.</returns>
    public static RfmSegment SegmentOf(int r, int fm)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(r, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(r, 5);
        ArgumentOutOfRangeException.ThrowIfLessThan(fm, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(fm, 5);
        return Standard[r - 1][fm - 1];
    }

    /// <summary>Scores customers from a purchase stream, reading only purchases up to and including <paramref name="asOf"/>.</summary>
    /// <param name="events">Purchases; each customer's in chronological order.</param>
    /// <param name="customerCount">Number of customers.</param>
    /// <param name="asOf">The day recency is measured to.</param>
    /// <param name="options">Tie rule and grid; defaults when <see langword="null"/>.</param>
    /// <returns>Scores and segment summary.</returns>
    public static RfmResult Score(IEnumerable<PurchaseEvent> events, int customerCount, DateOnly asOf, RfmOptions? options = null) =>
        Score(CustomerTotalsAggregator.Aggregate(events, customerCount, asOf), asOf, null, options);

    /// <summary>Scores customers from their totals.</summary>
    /// <remarks>Frequency is the number of purchases; monetary is the revenue unless <paramref name="monetary"/> (e.g. margin) is given.</remarks>
    /// <param name="totals">Per-customer totals that contain no purchase after <paramref name="asOf"/>.</param>
    /// <param name="asOf">The day recency is measured to.</param>
    /// <param name="monetary">Monetary value per customer instead of revenue, or <see langword="null"/>.</param>
    /// <param name="options">Tie rule and grid; defaults when <see langword="null"/>.</param>
    /// <returns>Scores and segment summary.</returns>
    /// <exception cref="ArgumentException">A customer's last purchase is after <paramref name="asOf"/>.</exception>
    public static RfmResult Score(ReadOnlySpan<CustomerTotals> totals, DateOnly asOf, ReadOnlySpan<long> monetary = default, RfmOptions? options = null)
    {
        options ??= new RfmOptions();
        var grid = options.Grid ?? Standard;
        if (grid.Length != 5 || grid.Any(row => row is null || row.Length != 5))
            throw new ArgumentException("The segment grid must be 5×5.", nameof(options));
        if (!monetary.IsEmpty && monetary.Length != totals.Length)
            throw new ArgumentException("Monetary values must be given for every customer.", nameof(monetary));

        var n = totals.Length;
        var asOfNumber = asOf.DayNumber;
        var scored = 0;
        for (var c = 0; c < n; c++)
        {
            if (!totals[c].HasPurchased)
                continue;
            if (totals[c].LastDay > asOf)
                throw new ArgumentException($"Customer {c} bought on {totals[c].LastDay}, after the as-of day {asOf}.", nameof(totals));
            scored++;
        }

        var customers = new int[scored];
        var recencyKeys = new long[scored];
        var frequencyKeys = new long[scored];
        var monetaryKeys = new long[scored];
        var k = 0;
        for (var c = 0; c < n; c++)
        {
            if (!totals[c].HasPurchased)
                continue;
            customers[k] = c;
            // Keys ascend from worst to best: fewer days since the last purchase is better.
            recencyKeys[k] = -(long)(asOfNumber - totals[c].LastDay.DayNumber);
            frequencyKeys[k] = totals[c].Purchases;
            monetaryKeys[k] = monetary.IsEmpty ? totals[c].RevenueMinor : monetary[c];
            k++;
        }

        var r = Quintiles(recencyKeys, options.Ties);
        var f = Quintiles(frequencyKeys, options.Ties);
        var m = Quintiles(monetaryKeys, options.Ties);

        var scores = new RfmScore[n];
        var counts = new int[SegmentCount];
        var sums = new long[SegmentCount];
        long total = 0;
        for (var i = 0; i < scored; i++)
        {
            var fm = (f[i] + m[i] + 1) / 2;
            var segment = grid[r[i] - 1][fm - 1];
            scores[customers[i]] = new RfmScore((int)-recencyKeys[i], (int)frequencyKeys[i], monetaryKeys[i], r[i], f[i], m[i], segment);
            counts[(int)segment]++;
            sums[(int)segment] += monetaryKeys[i];
            total += monetaryKeys[i];
        }

        var summary = new RfmSegmentSummary[SegmentCount - 1];
        for (var s = 1; s < SegmentCount; s++)
        {
            summary[s - 1] = new RfmSegmentSummary(
                (RfmSegment)s,
                counts[s],
                scored == 0 ? 0 : (double)counts[s] / scored,
                sums[s],
                total == 0 ? 0 : (double)sums[s] / total);
        }
        return new RfmResult(asOf, scores, scored, summary);
    }

    internal const int SegmentCount = (int)RfmSegment.Lost + 1;

    /// <summary>Quintile scores 1..5 for keys where larger is better, in the order of <paramref name="keys"/>.</summary>
    /// <remarks>
    /// Three strategies by key range, all giving the same scores: counting for narrow ranges (recency in days,
    /// frequency), one sort of packed key-and-position longs when they fit, and a key/item sort otherwise. A million
    /// customers then take milliseconds for R and F and one primitive sort for M.
    /// </remarks>
    private static byte[] Quintiles(long[] keys, RfmTies ties)
    {
        var n = keys.Length;
        var scores = new byte[n];
        if (n == 0)
            return scores;
        long min = long.MaxValue, max = long.MinValue;
        foreach (var k in keys)
        {
            min = Math.Min(min, k);
            max = Math.Max(max, k);
        }
        var range = (UInt128)(Int128)max - (UInt128)(Int128)min;

        if (ties == RfmTies.SameValueSameScore && range < (ulong)Math.Max(1 << 16, 4 * n))
        {
            var worse = new int[(int)range + 2];
            foreach (var k in keys)
                worse[(int)(k - min) + 1]++;
            for (var v = 1; v < worse.Length; v++)
                worse[v] += worse[v - 1];
            for (var i = 0; i < n; i++)
                scores[i] = (byte)(1 + (long)worse[(int)(keys[i] - min)] * 5 / n);
            return scores;
        }

        var positionBits = 64 - BitOperations.LeadingZeroCount((ulong)n);
        if (range < (UInt128)1 << (63 - positionBits))
        {
            // Key above, position below: one primitive sort orders by value and breaks ties by customer index.
            var packed = new long[n];
            for (var i = 0; i < n; i++)
                packed[i] = ((keys[i] - min) << positionBits) | (long)i;
            Array.Sort(packed);
            var mask = (1L << positionBits) - 1;
            var groupStart = 0;
            for (var p = 0; p < n; p++)
            {
                if (p > 0 && packed[p] >> positionBits != packed[p - 1] >> positionBits)
                    groupStart = p;
                var rank = ties == RfmTies.ByCustomerIndex ? p : groupStart;
                scores[(int)(packed[p] & mask)] = (byte)(1 + (long)rank * 5 / n);
            }
            return scores;
        }

        var sorted = (long[])keys.Clone();
        var positions = new int[n];
        for (var i = 0; i < n; i++)
            positions[i] = i;
        Array.Sort(sorted, positions);
        AbcAnalysis.SortTieGroupsByIndex(sorted, positions);
        var start = 0;
        for (var p = 0; p < n; p++)
        {
            if (sorted[p] != sorted[start])
                start = p;
            var rank = ties == RfmTies.ByCustomerIndex ? p : start;
            scores[positions[p]] = (byte)(1 + (long)rank * 5 / n);
        }
        return scores;
    }
}

/// <summary>How many customers moved from one RFM segment to another between two scorings.</summary>
/// <param name="Counts">Counts indexed [from, to] by <see cref="RfmSegment"/> value, including <see cref="RfmSegment.None"/>.</param>
public sealed record RfmTransitions(int[,] Counts)
{
    /// <summary>Number of customers in <paramref name="from"/> in the first scoring and in <paramref name="to"/> in the second.</summary>
    /// <param name="from">Segment in the first scoring (<see cref="RfmSegment.None"/> for customers new since).</param>
    /// <param name="to">Segment in the second scoring.</param>
    /// <returns>The count.</returns>
    public int this[RfmSegment from, RfmSegment to] => Counts[(int)from, (int)to];

    /// <summary>
    /// Counts moves between two scorings of the same customer indexes, e.g. as of the ends of two periods.
    /// Customers beyond the first scoring's length, or unscored in it, come from <see cref="RfmSegment.None"/>.
    /// </summary>
    /// <param name="first">The earlier scoring.</param>
    /// <param name="second">The later scoring.</param>
    /// <returns>The transition matrix.</returns>
    public static RfmTransitions Between(RfmResult first, RfmResult second)
    {
        var counts = new int[Rfm.SegmentCount, Rfm.SegmentCount];
        var n = Math.Max(first.Scores.Length, second.Scores.Length);
        for (var c = 0; c < n; c++)
        {
            var from = c < first.Scores.Length ? first.Scores[c].Segment : RfmSegment.None;
            var to = c < second.Scores.Length ? second.Scores[c].Segment : RfmSegment.None;
            // Customers unscored in both are not members of either scoring and would only swamp the None row.
            if (from == RfmSegment.None && to == RfmSegment.None)
                continue;
            counts[(int)from, (int)to]++;
        }
        return new RfmTransitions(counts);
    }
}
