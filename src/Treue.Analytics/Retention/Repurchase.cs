using Treue.Analytics.Segments;

namespace Treue.Analytics.Retention;

/// <summary>How many customers bought again.</summary>
/// <param name="Customers">Customers with at least one purchase.</param>
/// <param name="Repeaters">Customers with two or more purchases.</param>
/// <param name="Rate">Repeaters / customers (0 without customers).</param>
/// <param name="WithinDays">The window N for the second purchase.</param>
/// <param name="EligibleWithin">Customers whose first purchase is at least N days before the as-of day (all customers without an as-of day).</param>
/// <param name="RepeatersWithin">Eligible customers whose second purchase came at most N days after the first.</param>
/// <param name="RateWithin">RepeatersWithin / EligibleWithin (0 without eligible customers).</param>
public readonly record struct RepurchaseStats(int Customers, int Repeaters, double Rate, int WithinDays, int EligibleWithin, int RepeatersWithin, double RateWithin);

/// <summary>A histogram bucket of days.</summary>
/// <param name="FromDays">Smallest gap in the bucket, inclusive.</param>
/// <param name="ToDays">Bound of the bucket, exclusive; <see langword="null"/> for the open last bucket.</param>
/// <param name="Count">Gaps in the bucket.</param>
/// <param name="Share">Count over all gaps.</param>
public readonly record struct DayBucket(int FromDays, int? ToDays, int Count, double Share);

/// <summary>Distribution of days between a customer's consecutive purchase days.</summary>
/// <param name="Gaps">Number of gaps (over all customers, purchase days minus one each).</param>
/// <param name="MeanDays">Mean gap in days (0 without gaps).</param>
/// <param name="MedianDays">Median gap in days; the mean of the two middle gaps for an even count (0 without gaps).</param>
/// <param name="Histogram">Gaps per bucket.</param>
public sealed record InterPurchaseTimes(long Gaps, double MeanDays, double MedianDays, IReadOnlyList<DayBucket> Histogram);

/// <summary>Repurchase rate and inter-purchase times.</summary>
public static class Repurchase
{
    /// <summary>Default bucket edges in days: a week, two weeks, a month, two, three, six months, a year.</summary>
    public static IReadOnlyList<int> DefaultBucketEdges { get; } = [1, 8, 15, 31, 61, 91, 181, 366];

    /// <summary>
    /// Share of customers with two or more purchases, and share whose second purchase came within
    /// <paramref name="withinDays"/> days of the first (a second purchase on the first day counts).
    /// </summary>
    /// <remarks>
    /// Customers who started less than N days before <paramref name="asOf"/> have not had the whole window to come back,
    /// so with an as-of day they are left out of the within-N rate rather than counted as non-repeaters.
    /// </remarks>
    /// <param name="totals">Per-customer totals.</param>
    /// <param name="withinDays">The window N in days, 0 or greater.</param>
    /// <param name="asOf">Last day of the data, or <see langword="null"/> to count every customer.</param>
    /// <returns>The repurchase figures.</returns>
    public static RepurchaseStats Rate(ReadOnlySpan<CustomerTotals> totals, int withinDays, DateOnly? asOf = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(withinDays);
        int customers = 0, repeaters = 0, eligible = 0, within = 0;
        foreach (ref readonly var t in totals)
        {
            if (!t.HasPurchased)
                continue;
            customers++;
            if (t.Purchases >= 2)
                repeaters++;
            if (asOf is { } end && t.FirstDay.DayNumber + withinDays > end.DayNumber)
                continue;
            eligible++;
            if (t.Purchases >= 2 && t.SecondPurchaseDay.DayNumber - t.FirstDay.DayNumber <= withinDays)
                within++;
        }
        return new RepurchaseStats(
            customers, repeaters, customers == 0 ? 0 : (double)repeaters / customers,
            withinDays, eligible, within, eligible == 0 ? 0 : (double)within / eligible);
    }

    /// <summary>
    /// Days between each customer's consecutive purchase days (same-day purchases merged, so every gap is at least 1).
    /// </summary>
    /// <param name="events">Purchases; each customer's in chronological order.</param>
    /// <param name="customerCount">Number of customers.</param>
    /// <param name="bucketEdges">Ascending lower bounds of the buckets, the first usually 1; <see cref="DefaultBucketEdges"/> when <see langword="null"/>.</param>
    /// <returns>Count, mean, median and histogram of the gaps.</returns>
    public static InterPurchaseTimes InterPurchase(IEnumerable<PurchaseEvent> events, int customerCount, IReadOnlyList<int>? bucketEdges = null)
    {
        var edges = bucketEdges ?? DefaultBucketEdges;
        if (edges.Count == 0 || edges.Zip(edges.Skip(1)).Any(p => p.First >= p.Second))
            throw new ArgumentException("Bucket edges must be ascending and not empty.", nameof(bucketEdges));

        var lastDay = new int[customerCount];
        Array.Fill(lastDay, int.MinValue);
        // Gaps counted per day length: exact median without keeping one entry per purchase.
        var perDays = new long[64];
        long gaps = 0, sum = 0;
        foreach (var e in events)
        {
            var day = e.Day.DayNumber;
            ref var last = ref lastDay[e.Customer];
            if (last != int.MinValue && day != last)
            {
                var gap = day - last;
                if (gap < 0)
                    throw new ArgumentException($"Purchases of customer {e.Customer} are not in chronological order.", nameof(events));
                if (gap >= perDays.Length)
                    Array.Resize(ref perDays, Math.Max(gap + 1, perDays.Length * 2));
                perDays[gap]++;
                gaps++;
                sum += gap;
            }
            last = day;
        }

        var buckets = new DayBucket[edges.Count];
        for (var b = 0; b < edges.Count; b++)
        {
            var from = edges[b];
            int? to = b + 1 < edges.Count ? edges[b + 1] : null;
            long count = 0;
            for (var d = Math.Max(0, from); d < Math.Min(perDays.Length, to ?? int.MaxValue); d++)
                count += perDays[d];
            buckets[b] = new DayBucket(from, to, (int)count, gaps == 0 ? 0 : (double)count / gaps);
        }
        return new InterPurchaseTimes(gaps, gaps == 0 ? 0 : (double)sum / gaps, Median(perDays, gaps), buckets);
    }

    private static double Median(long[] perDays, long total)
    {
        if (total == 0)
            return 0;
        // 0-based positions of the middle element(s).
        var lower = (total - 1) / 2;
        var upper = total / 2;
        long seen = 0;
        int? low = null;
        for (var d = 0; d < perDays.Length; d++)
        {
            seen += perDays[d];
            if (low is null && seen > lower)
                low = d;
            if (seen > upper)
                return (low!.Value + d) / 2.0;
        }
        throw new InvalidOperationException("Unreachable: the counts sum to the total.");
    }
}
