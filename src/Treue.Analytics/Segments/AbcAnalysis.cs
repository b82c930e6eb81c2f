namespace Treue.Analytics.Segments;

/// <summary>The class of a customer in an ABC (Pareto) analysis.</summary>
public enum AbcClass
{
    /// <summary>The customers who together bring the first share of value (by default 80 %).</summary>
    A,
    /// <summary>The customers who bring the next share (by default 15 %).</summary>
    B,
    /// <summary>The rest, including customers without value.</summary>
    C,
}

/// <summary>Cut-offs of an ABC analysis as shares of the total value.</summary>
/// <param name="AShare">Share of value covered by class A, in (0, 1]. Default 0.80.</param>
/// <param name="BShare">Share of value covered by class B, after A. Default 0.15, leaving 5 % for C.</param>
/// <param name="MaxCurvePoints">Most points in the downsampled Pareto curve (at least 2). Default 200.</param>
public sealed record AbcOptions(double AShare = 0.80, double BShare = 0.15, int MaxCurvePoints = 200);

/// <summary>Size and value of one ABC class.</summary>
/// <param name="Class">The class.</param>
/// <param name="Customers">Number of customers in the class.</param>
/// <param name="CustomerShare">Customers of the class over all customers.</param>
/// <param name="Value">Sum of the class's values.</param>
/// <param name="ValueShare">Value of the class over the total value (0 when the total is 0).</param>
public readonly record struct AbcClassSummary(AbcClass Class, int Customers, double CustomerShare, long Value, double ValueShare);

/// <summary>A point of the Pareto curve: the top <paramref name="CustomerShare"/> of customers bring <paramref name="ValueShare"/> of the value.</summary>
/// <param name="CustomerShare">Cumulative share of customers, best first, in [0, 1].</param>
/// <param name="ValueShare">Cumulative share of value of those customers, in [0, 1].</param>
public readonly record struct CurvePoint(double CustomerShare, double ValueShare);

/// <summary>Result of an ABC analysis.</summary>
/// <param name="Classes">Class of each customer, indexed by customer.</param>
/// <param name="Ranking">Customers ordered by value descending, ties by ascending customer index.</param>
/// <param name="Summary">One entry per class, in the order A, B, C.</param>
/// <param name="ParetoCurve">Cumulative customer share against cumulative value share, best customers first, from (0,0) to (1,1), downsampled.</param>
/// <param name="Gini">Gini coefficient of the values over all customers, in [0, (n-1)/n].</param>
/// <param name="TotalValue">Sum of all values (negative values counted as 0).</param>
public sealed record AbcResult(
    AbcClass[] Classes,
    int[] Ranking,
    IReadOnlyList<AbcClassSummary> Summary,
    IReadOnlyList<CurvePoint> ParetoCurve,
    double Gini,
    long TotalValue);

/// <summary>ABC (Pareto) analysis of customers by revenue or margin, with the Pareto curve and the Gini coefficient.</summary>
public static class AbcAnalysis
{
    /// <summary>
    /// Ranks customers by value descending and cuts the ranking where the cumulative value crosses the class shares.
    /// </summary>
    /// <remarks>
    /// Boundary rule: a customer belongs to A when the cumulative value of the customers ranked before them is
    /// below the A share of the total; so the customer who straddles the cut-off is still in A (A covers at least
    /// 80 %). The same rule applies to B with the cumulative share A + B. Negative values (a margin that cost money)
    /// count as 0, because shares of a total with negative parts are not a distribution.
    /// </remarks>
    /// <param name="values">Value per customer (revenue or margin, minor units), indexed by customer.</param>
    /// <param name="options">Cut-offs; the defaults 80/15/5 when <see langword="null"/>.</param>
    /// <returns>Classes, summary, the Pareto curve and the Gini coefficient.</returns>
    public static AbcResult Analyze(ReadOnlySpan<long> values, AbcOptions? options = null)
    {
        options ??= new AbcOptions();
        if (options.AShare is <= 0 or > 1 || options.BShare < 0 || options.AShare + options.BShare > 1 + 1e-12)
            throw new ArgumentOutOfRangeException(nameof(options), "Class shares must satisfy 0 < A <= 1, B >= 0, A + B <= 1.");
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxCurvePoints, 2, nameof(options));

        var n = values.Length;
        var keys = new long[n];
        var ranking = new int[n];
        long total = 0;
        for (var i = 0; i < n; i++)
        {
            var v = Math.Max(0, values[i]);
            // Negated so that an ascending sort is descending by value; the index tie-break comes below.
            keys[i] = -v;
            ranking[i] = i;
            total = checked(total + v);
        }
        Array.Sort(keys, ranking);
        SortTieGroupsByIndex(keys, ranking);

        var classes = new AbcClass[n];
        var counts = new int[3];
        var sums = new long[3];
        var aLimit = options.AShare * total;
        var bLimit = (options.AShare + options.BShare) * total;
        long before = 0;
        for (var r = 0; r < n; r++)
        {
            var c = ranking[r];
            var v = -keys[r];
            var cls = total == 0 ? AbcClass.C : before < aLimit ? AbcClass.A : before < bLimit ? AbcClass.B : AbcClass.C;
            classes[c] = cls;
            counts[(int)cls]++;
            sums[(int)cls] += v;
            before += v;
        }

        var summary = new AbcClassSummary[3];
        for (var k = 0; k < 3; k++)
        {
            summary[k] = new AbcClassSummary(
                (AbcClass)k,
                counts[k],
                n == 0 ? 0 : (double)counts[k] / n,
                sums[k],
                total == 0 ? 0 : (double)sums[k] / total);
        }

        return new AbcResult(classes, ranking, summary, ParetoCurve(keys, total, options.MaxCurvePoints), Gini(keys, total), total);
    }

    /// <summary>
    /// The Gini coefficient of non-negative values: G = 2 Σ i·x(i) / (n Σ x) − (n + 1) / n with x sorted ascending
    /// and i = 1..n. 0 when all values are equal (or all 0); (n − 1)/n when one customer has everything.
    /// </summary>
    /// <param name="values">Values per customer; negative values count as 0.</param>
    /// <returns>The Gini coefficient in [0, 1).</returns>
    public static double Gini(ReadOnlySpan<long> values)
    {
        var keys = new long[values.Length];
        long total = 0;
        for (var i = 0; i < values.Length; i++)
        {
            var v = Math.Max(0, values[i]);
            keys[i] = -v;
            total = checked(total + v);
        }
        Array.Sort(keys);
        return Gini(keys, total);
    }

    // keys are negated values sorted ascending, i.e. values descending; value at descending rank r has ascending rank n - r.
    private static double Gini(long[] negatedDescending, long total)
    {
        var n = negatedDescending.Length;
        if (n == 0 || total == 0)
            return 0;
        // Int128 because Σ i·x overflows a long for a million customers with large revenues.
        Int128 weighted = 0;
        for (var r = 0; r < n; r++)
            weighted += (Int128)(n - r) * -negatedDescending[r];
        var g = (double)(2 * weighted) / ((double)n * total) - (double)(n + 1) / n;
        return Math.Max(0, g);
    }

    private static CurvePoint[] ParetoCurve(long[] negatedDescending, long total, int maxPoints)
    {
        var n = negatedDescending.Length;
        if (n == 0)
            return [new CurvePoint(0, 0), new CurvePoint(1, 1)];
        var segments = Math.Min(n, maxPoints - 1);
        var points = new CurvePoint[segments + 1];
        long cumulative = 0;
        var next = 0;
        for (var k = 0; k <= segments; k++)
        {
            // Evenly spaced ranks keep the chart's x axis uniform; exact cumulative sums keep the y values true.
            var rank = (int)((long)k * n / segments);
            while (next < rank)
                cumulative -= negatedDescending[next++];
            points[k] = new CurvePoint((double)rank / n, total == 0 ? (double)rank / n : (double)cumulative / total);
        }
        return points;
    }

    /// <summary>Within runs of equal keys, orders the items ascending so results never depend on the sort's instability.</summary>
    internal static void SortTieGroupsByIndex(long[] sortedKeys, int[] items)
    {
        var start = 0;
        for (var i = 1; i <= sortedKeys.Length; i++)
        {
            if (i == sortedKeys.Length || sortedKeys[i] != sortedKeys[start])
            {
                if (i - start > 1)
                    Array.Sort(items, start, i - start);
                start = i;
            }
        }
    }
}
