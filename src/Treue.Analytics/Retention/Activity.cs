namespace Treue.Analytics.Retention;

/// <summary>Customers active in one month and how many of them were new or came back from the month before.</summary>
/// <param name="Month">First day of the month.</param>
/// <param name="Active">Customers with at least one purchase in the month.</param>
/// <param name="New">Customers whose first purchase is in the month.</param>
/// <param name="Retained">Customers active in both this and the previous month.</param>
/// <param name="ChurnRate">Share of the previous month's active customers who did not buy this month; 0 when none were active.</param>
public readonly record struct MonthlyActivity(DateOnly Month, int Active, int New, int Retained, double ChurnRate);

/// <summary>Churn between two consecutive periods.</summary>
/// <param name="ActiveBefore">Customers with a purchase in the previous period.</param>
/// <param name="Retained">Of those, customers who also bought in the current period.</param>
/// <param name="Churned">Of those, customers who did not buy in the current period.</param>
/// <param name="Rate">Churned / active before; 0 when nobody was active before.</param>
public readonly record struct ChurnResult(int ActiveBefore, int Retained, int Churned, double Rate);

/// <summary>Active customers per month and churn between periods.</summary>
public static class Activity
{
    /// <summary>
    /// Active, new and retained customers for every month from the first to the last month with a purchase
    /// (months without purchases included), with the month-over-month churn rate.
    /// </summary>
    /// <param name="events">Purchases; each customer's in chronological order.</param>
    /// <param name="customerCount">Number of customers.</param>
    /// <returns>One entry per month, ascending.</returns>
    public static IReadOnlyList<MonthlyActivity> ByMonth(IEnumerable<PurchaseEvent> events, int customerCount)
    {
        var lastActive = new int[customerCount];
        Array.Fill(lastActive, int.MinValue);
        // Counters keyed by month index; a customer's months ascend, so "retained" is seen as a step of exactly one.
        var active = new Dictionary<int, int>();
        var joined = new Dictionary<int, int>();
        var retained = new Dictionary<int, int>();
        foreach (var e in events)
        {
            var month = Months.Index(e.Day);
            ref var last = ref lastActive[e.Customer];
            if (month == last)
                continue;
            if (month < last)
                throw new ArgumentException($"Purchases of customer {e.Customer} are not in chronological order.", nameof(events));
            Increment(active, month);
            if (last == int.MinValue)
                Increment(joined, month);
            else if (month == last + 1)
                Increment(retained, month);
            last = month;
        }
        if (active.Count == 0)
            return [];

        var first = active.Keys.Min();
        var end = active.Keys.Max();
        var series = new MonthlyActivity[end - first + 1];
        var previous = 0;
        for (var m = first; m <= end; m++)
        {
            var a = active.GetValueOrDefault(m);
            var r = retained.GetValueOrDefault(m);
            series[m - first] = new MonthlyActivity(Months.First(m), a, joined.GetValueOrDefault(m), r, previous == 0 ? 0 : (double)(previous - r) / previous);
            previous = a;
        }
        return series;
    }

    /// <summary>
    /// Churn rate of a period: the share of customers who bought in the previous period
    /// [<paramref name="previousStart"/>, <paramref name="currentStart"/>) and not in the current period
    /// [<paramref name="currentStart"/>, <paramref name="currentEnd"/>). Customers new in the current period do not count.
    /// </summary>
    /// <param name="events">Purchases in any order.</param>
    /// <param name="customerCount">Number of customers.</param>
    /// <param name="previousStart">First day of the previous period.</param>
    /// <param name="currentStart">First day of the current period (the day after the previous period).</param>
    /// <param name="currentEnd">Day after the current period.</param>
    /// <returns>Active before, retained, churned and the rate.</returns>
    public static ChurnResult Churn(IEnumerable<PurchaseEvent> events, int customerCount, DateOnly previousStart, DateOnly currentStart, DateOnly currentEnd)
    {
        if (previousStart > currentStart || currentStart > currentEnd)
            throw new ArgumentException("Periods must be ordered: previous start ≤ current start ≤ current end.", nameof(currentStart));
        const byte Before = 1, Now = 2;
        var flags = new byte[customerCount];
        foreach (var e in events)
        {
            if (e.Day >= previousStart && e.Day < currentStart)
                flags[e.Customer] |= Before;
            else if (e.Day >= currentStart && e.Day < currentEnd)
                flags[e.Customer] |= Now;
        }
        int before = 0, retained = 0;
        foreach (var f in flags)
        {
            if ((f & Before) == 0)
                continue;
            before++;
            if ((f & Now) != 0)
                retained++;
        }
        return new ChurnResult(before, retained, before - retained, before == 0 ? 0 : (double)(before - retained) / before);
    }

    private static void Increment(Dictionary<int, int> counts, int key) =>
        System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(counts, key, out _)++;
}
