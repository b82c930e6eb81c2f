namespace Treue.Analytics.Retention;

/// <summary>One cohort: the customers who started in one month, and how many of them bought in each later month.</summary>
/// <param name="CohortMonth">First day of the cohort's month.</param>
/// <param name="Size">Customers in the cohort.</param>
/// <param name="Active">Customers of the cohort with a purchase in month <c>CohortMonth + k</c>, indexed by k (months since); runs to the last month with data.</param>
public sealed record CohortRow(DateOnly CohortMonth, int Size, int[] Active)
{
    /// <summary>Share of the cohort active <paramref name="monthsSince"/> months after its start (0 past the data).</summary>
    /// <param name="monthsSince">Months since the cohort month, 0 or greater.</param>
    /// <returns>Active / size.</returns>
    public double Share(int monthsSince) =>
        Size == 0 || monthsSince >= Active.Length ? 0 : (double)Active[monthsSince] / Size;
}

/// <summary>A cohort retention matrix: rows are cohort months, columns months since the start.</summary>
/// <param name="Rows">Cohorts by ascending month; months without a new customer are left out.</param>
public sealed record CohortMatrix(IReadOnlyList<CohortRow> Rows);

/// <summary>Cohort retention: which share of the customers who started in a month still buys k months later.</summary>
public static class Cohorts
{
    /// <summary>
    /// Cohorts by the month of each customer's first purchase; month 0 therefore always has share 1.
    /// </summary>
    /// <param name="events">Purchases; each customer's in chronological order.</param>
    /// <param name="customerCount">Number of customers.</param>
    /// <returns>The retention matrix.</returns>
    public static CohortMatrix ByFirstPurchase(IEnumerable<PurchaseEvent> events, int customerCount)
    {
        var cohort = new int[customerCount];
        Array.Fill(cohort, NoMonth);
        var lastActive = new int[customerCount];
        var grid = new Grid();
        foreach (var e in events)
        {
            var month = Months.Index(e.Day);
            ref var c = ref cohort[e.Customer];
            if (c == NoMonth)
            {
                c = month;
                grid.Join(month);
            }
            else if (month == lastActive[e.Customer])
            {
                continue;
            }
            else if (month < lastActive[e.Customer])
            {
                throw new ArgumentException($"Purchases of customer {e.Customer} are not in chronological order.", nameof(events));
            }
            lastActive[e.Customer] = month;
            grid.Activate(c, month);
        }
        return grid.ToMatrix();
    }

    /// <summary>
    /// Cohorts by the month each customer enrolled (joined the programme), given by the caller. Cohort sizes count
    /// every enrolled customer, including those who never bought; purchases before the enrolment month are ignored.
    /// </summary>
    /// <param name="events">Purchases; each customer's in chronological order.</param>
    /// <param name="enrolment">Enrolment day per customer, <see langword="null"/> for customers outside the analysis.</param>
    /// <returns>The retention matrix.</returns>
    public static CohortMatrix ByEnrolment(IEnumerable<PurchaseEvent> events, IReadOnlyList<DateOnly?> enrolment)
    {
        var n = enrolment.Count;
        var cohort = new int[n];
        var lastActive = new int[n];
        var grid = new Grid();
        for (var c = 0; c < n; c++)
        {
            cohort[c] = enrolment[c] is { } day ? Months.Index(day) : NoMonth;
            lastActive[c] = NoMonth;
            if (cohort[c] != NoMonth)
                grid.Join(cohort[c]);
        }
        foreach (var e in events)
        {
            var c = cohort[e.Customer];
            var month = Months.Index(e.Day);
            if (c == NoMonth || month < c || month == lastActive[e.Customer])
                continue;
            lastActive[e.Customer] = month;
            grid.Activate(c, month);
        }
        return grid.ToMatrix();
    }

    private const int NoMonth = int.MinValue;

    /// <summary>Growing per-cohort counters; cohorts are keyed by month index because their range is only known at the end.</summary>
    private sealed class Grid
    {
        private readonly Dictionary<int, (int Size, List<int> Active)> _rows = [];
        private int _lastMonth = int.MinValue;

        public void Join(int cohortMonth)
        {
            ref var row = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_rows, cohortMonth, out var exists);
            if (!exists)
                row.Active = [];
            row.Size++;
            _lastMonth = Math.Max(_lastMonth, cohortMonth);
        }

        public void Activate(int cohortMonth, int month)
        {
            var active = _rows[cohortMonth].Active;
            var since = month - cohortMonth;
            while (active.Count <= since)
                active.Add(0);
            active[since]++;
            _lastMonth = Math.Max(_lastMonth, month);
        }

        public CohortMatrix ToMatrix()
        {
            var rows = _rows.OrderBy(kv => kv.Key).Select(kv =>
            {
                // Columns run to the last month with data so that an empty trailing month reads as 0, not as unknown.
                var active = new int[_lastMonth - kv.Key + 1];
                kv.Value.Active.CopyTo(active);
                return new CohortRow(Months.First(kv.Key), kv.Value.Size, active);
            });
            return new CohortMatrix([.. rows]);
        }
    }
}

/// <summary>Months as consecutive integers, so that "months since" is a subtraction.</summary>
internal static class Months
{
    public static int Index(DateOnly day) => day.Year * 12 + day.Month - 1;

    public static DateOnly First(int index) => new(index / 12, index % 12 + 1, 1);
}
