namespace Treue.Analytics.Clv;

/// <summary>
/// Frequency, recency and age of the customers a model is fitted to, laid out for repeated likelihood evaluation:
/// everything that depends only on x is computed once per distinct x, which turns the many gamma and digamma
/// calls of a likelihood into a handful per evaluation.
/// </summary>
internal sealed class FrequencyData
{
    public readonly int[] Group;
    public readonly double[] Tx;
    public readonly double[] T;
    public readonly int[] DistinctX;
    public readonly int[] CountPerGroup;

    public int Count => Group.Length;

    public FrequencyData(ReadOnlySpan<CustomerSummary> customers)
    {
        Group = new int[customers.Length];
        Tx = new double[customers.Length];
        T = new double[customers.Length];
        var groupOf = new Dictionary<int, int>();
        var distinct = new List<int>();
        var counts = new List<int>();
        for (var i = 0; i < customers.Length; i++)
        {
            ref readonly var c = ref customers[i];
            if (c.X < 0 || c.Tx < 0 || c.T < c.Tx)
                throw new ArgumentException($"Customer {c.Customer} has an impossible history (x={c.X}, t_x={c.Tx}, T={c.T}).", nameof(customers));
            if (!groupOf.TryGetValue(c.X, out var g))
            {
                g = distinct.Count;
                groupOf.Add(c.X, g);
                distinct.Add(c.X);
                counts.Add(0);
            }
            counts[g]++;
            Group[i] = g;
            Tx[i] = c.Tx;
            T[i] = c.T;
        }
        DistinctX = [.. distinct];
        CountPerGroup = [.. counts];
    }

    /// <summary>A starting transaction-rate scale: total age over total repeat purchases.</summary>
    public double RateScale()
    {
        double totalT = 0, totalX = 0;
        for (var i = 0; i < Count; i++)
        {
            totalT += T[i];
            totalX += DistinctX[Group[i]];
        }
        return Math.Max(totalT, 1) / Math.Max(totalX, 1);
    }
}
