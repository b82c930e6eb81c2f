namespace Treue.Analytics.Segments;

/// <summary>
/// What one customer did over a stream of purchases: first and last day, how often and how much.
/// </summary>
/// <remarks>
/// <see cref="Purchases"/> counts purchase events (the RFM frequency); <see cref="PurchaseDays"/>
/// counts distinct days with a purchase, the convention of the BG/NBD literature where same-day
/// purchases are merged. A customer without purchases has <see cref="Purchases"/> 0 and default days.
/// </remarks>
/// <param name="FirstDay">Day of the first purchase.</param>
/// <param name="SecondPurchaseDay">Day of the second purchase event (may equal <paramref name="FirstDay"/>); default when there was none.</param>
/// <param name="LastDay">Day of the latest purchase.</param>
/// <param name="Purchases">Number of purchase events.</param>
/// <param name="PurchaseDays">Number of distinct days with at least one purchase.</param>
/// <param name="RevenueMinor">Sum of the purchases' amounts in minor units.</param>
public readonly record struct CustomerTotals(
    DateOnly FirstDay,
    DateOnly SecondPurchaseDay,
    DateOnly LastDay,
    int Purchases,
    int PurchaseDays,
    long RevenueMinor)
{
    /// <summary>Whether the customer bought at least once.</summary>
    public bool HasPurchased => Purchases > 0;
}

/// <summary>Aggregates a purchase stream into one <see cref="CustomerTotals"/> per customer in a single pass.</summary>
public static class CustomerTotalsAggregator
{
    /// <summary>
    /// Aggregates <paramref name="events"/> into per-customer totals, optionally only the purchases up to
    /// and including <paramref name="through"/> (so an RFM "as of" a past day sees only that day's knowledge).
    /// </summary>
    /// <param name="events">Purchases; each customer's purchases in chronological order.</param>
    /// <param name="customerCount">Number of customers; every <see cref="PurchaseEvent.Customer"/> must be below it.</param>
    /// <param name="through">Last day to include, or <see langword="null"/> for all purchases.</param>
    /// <returns>An array indexed by customer.</returns>
    /// <exception cref="ArgumentException">A customer's purchases are out of chronological order.</exception>
    public static CustomerTotals[] Aggregate(IEnumerable<PurchaseEvent> events, int customerCount, DateOnly? through = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(customerCount);
        var totals = new CustomerTotals[customerCount];
        var limit = through ?? DateOnly.MaxValue;
        foreach (var e in events)
        {
            if (e.Day > limit)
                continue;
            Add(ref totals[e.Customer], e);
        }
        return totals;
    }

    /// <inheritdoc cref="Aggregate(IEnumerable{PurchaseEvent}, int, DateOnly?)"/>
    public static CustomerTotals[] Aggregate(ReadOnlySpan<PurchaseEvent> events, int customerCount, DateOnly? through = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(customerCount);
        var totals = new CustomerTotals[customerCount];
        var limit = through ?? DateOnly.MaxValue;
        foreach (ref readonly var e in events)
        {
            if (e.Day > limit)
                continue;
            Add(ref totals[e.Customer], e);
        }
        return totals;
    }

    /// <summary>Each customer's revenue, the usual value for ABC analysis and the RFM monetary score.</summary>
    /// <param name="totals">Per-customer totals.</param>
    /// <returns>Revenue in minor units indexed by customer.</returns>
    public static long[] Revenues(ReadOnlySpan<CustomerTotals> totals)
    {
        var revenues = new long[totals.Length];
        for (var i = 0; i < totals.Length; i++)
            revenues[i] = totals[i].RevenueMinor;
        return revenues;
    }

    private static void Add(ref CustomerTotals t, in PurchaseEvent e)
    {
        if (t.Purchases == 0)
        {
            t = new CustomerTotals(e.Day, default, e.Day, 1, 1, e.AmountMinor);
            return;
        }
        // Out-of-order input would silently corrupt recency and distinct-day counts, so refuse it.
        if (e.Day < t.LastDay)
            throw new ArgumentException($"Purchases of customer {e.Customer} are not in chronological order ({e.Day} after {t.LastDay}).", nameof(e));
        t = new CustomerTotals(
            t.FirstDay,
            t.Purchases == 1 ? e.Day : t.SecondPurchaseDay,
            e.Day,
            t.Purchases + 1,
            e.Day == t.LastDay ? t.PurchaseDays : t.PurchaseDays + 1,
            t.RevenueMinor + e.AmountMinor);
    }
}
