namespace Treue.Domain.Promotions;

/// <summary>
/// Splitting an amount of money over receipt lines exactly in the currency's minor unit. Every share is a whole number of
/// minor units, the shares add up to the amount, and no share exceeds its line's cap, so a discount never makes a line
/// negative and never loses or invents a cent in rounding.
/// </summary>
public static class MinorUnits
{
    /// <summary>
    /// Splits <paramref name="amount"/> (minor units) in proportion to <paramref name="weights"/> by the largest-remainder
    /// method, never giving a line more than its cap. Ties in the remainders go to the earlier line, so the split is
    /// deterministic. When the amount exceeds the sum of the caps, every line gets its cap and the rest is not given.
    /// </summary>
    /// <param name="amount">What to split, in minor units.</param>
    /// <param name="weights">Each line's weight (for example its net price, or the exact discount it deserves).</param>
    /// <param name="caps">The most each line may receive, in minor units.</param>
    /// <returns>Each line's share, in minor units.</returns>
    public static long[] Allocate(long amount, IReadOnlyList<decimal> weights, IReadOnlyList<long> caps)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual(weights.Count, caps.Count, nameof(caps));
        var n = weights.Count;
        var shares = new long[n];
        long capTotal = 0;
        for (var i = 0; i < n; i++) capTotal += Math.Max(caps[i], 0);
        amount = Math.Min(amount, capTotal);
        if (amount <= 0) return shares;

        decimal weightTotal = 0;
        for (var i = 0; i < n; i++) weightTotal += caps[i] > 0 ? Math.Max(weights[i], 0) : 0;
        if (weightTotal <= 0)
        {
            // Nothing to weigh by: split by the caps instead.
            var byCaps = new decimal[n];
            for (var i = 0; i < n; i++) byCaps[i] = Math.Max(caps[i], 0);
            return Allocate(amount, byCaps, caps);
        }

        var remainders = new decimal[n];
        long given = 0;
        for (var i = 0; i < n; i++)
        {
            var weight = caps[i] > 0 ? Math.Max(weights[i], 0) : 0;
            var exact = amount * weight / weightTotal;
            var whole = (long)decimal.Floor(exact);
            if (whole > caps[i]) { whole = caps[i]; remainders[i] = -1; }
            else remainders[i] = exact - whole;
            shares[i] = whole;
            given += whole;
        }
        var order = Enumerable.Range(0, n).OrderByDescending(i => remainders[i]).ThenBy(i => i).ToArray();
        foreach (var i in order)
        {
            if (given == amount) break;
            if (shares[i] >= caps[i]) continue;
            shares[i]++;
            given++;
        }
        if (given < amount)
        {
            // Some lines hit their cap: the rest goes to the lines with room left, in proportion to that room.
            var room = new long[n];
            var roomWeights = new decimal[n];
            for (var i = 0; i < n; i++) { room[i] = Math.Max(caps[i] - shares[i], 0); roomWeights[i] = room[i]; }
            var more = Allocate(amount - given, roomWeights, room);
            for (var i = 0; i < n; i++) shares[i] += more[i];
        }
        return shares;
    }

    /// <summary>A line's net amount in whole minor units, rounded down and never below zero: the most it can be discounted.</summary>
    public static long NetMinor(Currency currency, decimal net) =>
        Math.Max(0, (long)decimal.Floor(currency.ToMinorExact(net)));

    /// <summary>
    /// The share of <paramref name="amount"/> that belongs to <paramref name="part"/> of <paramref name="whole"/>, rounded
    /// down; the whole gets exactly the amount. Computed cumulatively, successive parts add up to exactly the amount.
    /// </summary>
    public static long Share(long amount, decimal part, decimal whole) =>
        whole <= 0 || part >= whole ? amount : part <= 0 ? 0 : (long)decimal.Floor(amount * part / whole);
}
