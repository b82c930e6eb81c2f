namespace Treue.Analytics.Clv;

/// <summary>
/// What the lifetime-value models know about one customer at the end of the calibration period: frequency, recency
/// and age in weeks, the mean repeat spend, and (when a holdout period was given) what happened afterwards.
/// </summary>
/// <param name="Customer">Dense customer index.</param>
/// <param name="X">Repeat purchases in the calibration period: distinct purchase days minus 1.</param>
/// <param name="Tx">Weeks from the first purchase to the last purchase in the calibration period.</param>
/// <param name="T">Weeks from the first purchase to the end of the calibration period.</param>
/// <param name="Zbar">Mean amount of the repeat purchases (a day's purchases summed into one), in the units of the
/// amounts (minor units when built from <see cref="PurchaseEvent"/>s); 0 when <paramref name="X"/> is 0.</param>
/// <param name="HistoricalValueMinor">Total spend up to and including the calibration end, first purchase included.</param>
/// <param name="HoldoutPurchases">Distinct purchase days after the calibration end up to the holdout end.</param>
/// <param name="HoldoutSpendMinor">Spend after the calibration end up to the holdout end.</param>
public readonly record struct CustomerSummary(
    int Customer, int X, double Tx, double T, double Zbar,
    long HistoricalValueMinor = 0, int HoldoutPurchases = 0, long HoldoutSpendMinor = 0);

/// <summary>The calibration summaries of all customers who had bought by the calibration end.</summary>
/// <param name="Customers">One summary per customer whose first purchase is on or before the calibration end, by customer index.</param>
/// <param name="CalibrationEnd">Last day of the calibration period (inclusive).</param>
/// <param name="HoldoutEnd">Last day of the holdout period (inclusive), if one was given.</param>
public sealed record CalibrationSummary(CustomerSummary[] Customers, DateOnly CalibrationEnd, DateOnly? HoldoutEnd)
{
    /// <summary>Length of the holdout period in weeks (0 without one).</summary>
    public double HoldoutWeeks => HoldoutEnd is { } end ? Weeks(CalibrationEnd, end) : 0;

    /// <summary>Weeks between two days, the time unit of every model here.</summary>
    /// <param name="from">Earlier day.</param>
    /// <param name="to">Later day.</param>
    /// <returns><c>(to - from) / 7</c> in days.</returns>
    public static double Weeks(DateOnly from, DateOnly to) => (to.DayNumber - from.DayNumber) / 7.0;

    /// <summary>Builds the summaries from a purchase stream in one pass.</summary>
    /// <param name="events">Purchases; each customer's in chronological order.</param>
    /// <param name="calibrationEnd">Last day of the calibration period (inclusive).</param>
    /// <param name="holdoutEnd">Last day of the holdout period (inclusive); purchases after it are ignored.</param>
    /// <returns>The summaries.</returns>
    public static CalibrationSummary Build(IEnumerable<PurchaseEvent> events, DateOnly calibrationEnd, DateOnly? holdoutEnd = null)
    {
        var builder = new CalibrationSummaryBuilder(calibrationEnd, holdoutEnd);
        if (events is PurchaseEvent[] array)
            builder.Add(array);
        else
            foreach (var e in events) builder.Add(e);
        return builder.Build();
    }
}

/// <summary>
/// Accumulates <see cref="CustomerSummary"/> values from a purchase stream with a fixed amount of state per customer
/// (flat arrays indexed by the dense customer index), so that millions of customers and tens of millions of purchases
/// need neither per-customer lists nor sorting.
/// </summary>
public sealed class CalibrationSummaryBuilder
{
    private const int NotSeen = int.MinValue;

    private readonly int _calibrationEnd;
    private readonly int _holdoutEnd;
    private readonly DateOnly _calibrationEndDay;
    private readonly DateOnly? _holdoutEndDay;
    private State[] _states;
    private int _customers;

    private struct State
    {
        public int FirstDay;
        public int LastDay;
        public int LastCalibrationDay;
        public int Repeats;
        public int HoldoutPurchases;
        public long RepeatSpend;
        public long CalibrationSpend;
        public long HoldoutSpend;
    }

    /// <summary>Starts an empty summary.</summary>
    /// <param name="calibrationEnd">Last day of the calibration period (inclusive).</param>
    /// <param name="holdoutEnd">Last day of the holdout period (inclusive), not before the calibration end.</param>
    /// <param name="expectedCustomers">Capacity hint: the number of customer indexes expected.</param>
    public CalibrationSummaryBuilder(DateOnly calibrationEnd, DateOnly? holdoutEnd = null, int expectedCustomers = 0)
    {
        if (holdoutEnd < calibrationEnd)
            throw new ArgumentOutOfRangeException(nameof(holdoutEnd), "The holdout period ends before the calibration period.");
        _calibrationEndDay = calibrationEnd;
        _holdoutEndDay = holdoutEnd;
        _calibrationEnd = calibrationEnd.DayNumber;
        _holdoutEnd = (holdoutEnd ?? calibrationEnd).DayNumber;
        _states = new State[Math.Max(expectedCustomers, 16)];
        _states.AsSpan().Fill(new State { FirstDay = NotSeen });
    }

    /// <summary>Adds purchases.</summary>
    /// <param name="events">Purchases; each customer's in chronological order relative to what was added before.</param>
    public void Add(ReadOnlySpan<PurchaseEvent> events)
    {
        foreach (ref readonly var e in events) Add(e);
    }

    /// <summary>Adds one purchase.</summary>
    /// <param name="purchase">The purchase; not earlier than the customer's previous one.</param>
    /// <exception cref="ArgumentException">The purchase is earlier than the customer's previous one.</exception>
    public void Add(in PurchaseEvent purchase)
    {
        var day = purchase.Day.DayNumber;
        if (day > _holdoutEnd) return;
        var customer = purchase.Customer;
        ArgumentOutOfRangeException.ThrowIfNegative(customer, nameof(purchase));
        if (customer >= _states.Length) Grow(customer);
        if (customer >= _customers) _customers = customer + 1;
        ref var s = ref _states[customer];
        if (s.FirstDay == NotSeen)
        {
            s.FirstDay = s.LastDay = day;
            if (day <= _calibrationEnd)
            {
                s.LastCalibrationDay = day;
                s.CalibrationSpend = purchase.AmountMinor;
            }
            else
            {
                s.HoldoutPurchases = 1;
                s.HoldoutSpend = purchase.AmountMinor;
            }
            return;
        }
        if (day < s.LastDay)
            throw new ArgumentException($"Purchases of customer {customer} are not in chronological order ({purchase.Day} after a later day).", nameof(purchase));
        var newDay = day != s.LastDay;
        s.LastDay = day;
        if (day <= _calibrationEnd)
        {
            s.CalibrationSpend += purchase.AmountMinor;
            if (newDay)
            {
                s.Repeats++;
                s.LastCalibrationDay = day;
            }
            // A purchase on the first day is part of the first purchase, not of a repeat.
            if (day != s.FirstDay) s.RepeatSpend += purchase.AmountMinor;
        }
        else
        {
            if (newDay) s.HoldoutPurchases++;
            s.HoldoutSpend += purchase.AmountMinor;
        }
    }

    private void Grow(int customer)
    {
        var old = _states.Length;
        var size = (int)Math.Min(Array.MaxLength, Math.Max((long)customer + 1, old * 2L));
        Array.Resize(ref _states, size);
        _states.AsSpan(old).Fill(new State { FirstDay = NotSeen });
    }

    /// <summary>The summaries of the customers who had bought by the calibration end, in customer order.</summary>
    /// <returns>A new summary; the builder can go on accumulating.</returns>
    public CalibrationSummary Build()
    {
        var count = 0;
        for (var i = 0; i < _customers; i++)
            if (_states[i].FirstDay != NotSeen && _states[i].FirstDay <= _calibrationEnd) count++;
        var result = new CustomerSummary[count];
        var k = 0;
        for (var i = 0; i < _customers; i++)
        {
            ref readonly var s = ref _states[i];
            if (s.FirstDay == NotSeen || s.FirstDay > _calibrationEnd) continue;
            result[k++] = new CustomerSummary(
                i, s.Repeats,
                (s.LastCalibrationDay - s.FirstDay) / 7.0,
                (_calibrationEnd - s.FirstDay) / 7.0,
                s.Repeats == 0 ? 0 : (double)s.RepeatSpend / s.Repeats,
                s.CalibrationSpend, s.HoldoutPurchases, s.HoldoutSpend);
        }
        return new CalibrationSummary(result, _calibrationEndDay, _holdoutEndDay);
    }
}
