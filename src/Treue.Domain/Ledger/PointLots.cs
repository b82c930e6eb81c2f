namespace Treue.Domain.Ledger;

/// <summary>The state of a lot: points earned together, which expire together.</summary>
/// <param name="Id">The lot's identifier.</param>
/// <param name="EarnedAt">When the points were earned (UTC).</param>
/// <param name="ExpiresAt">When they expire (UTC), or null if never.</param>
/// <param name="Remaining">Points of the lot not yet spent, reversed or expired.</param>
public readonly record struct LotState(long Id, DateTime EarnedAt, DateTime? ExpiresAt, long Remaining);

/// <summary>Points taken from one lot.</summary>
/// <param name="LotId">The lot.</param>
/// <param name="Points">How many of its points.</param>
public readonly record struct LotDraw(long LotId, long Points);

/// <summary>Decisions about which lots points are taken from.</summary>
public static class PointLots
{
    /// <summary>
    /// Takes <paramref name="points"/> from <paramref name="lots"/> oldest-first: the lot that expires soonest
    /// goes first, lots that never expire go last, and ties go to the lot earned first.
    /// Returns null when the lots hold fewer points than asked for.
    /// </summary>
    public static IReadOnlyList<LotDraw>? DrawOldestFirst(IEnumerable<LotState> lots, long points)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(points);
        var draws = new List<LotDraw>();
        var left = points;
        foreach (var lot in lots
                     .Where(l => l.Remaining > 0)
                     .OrderBy(l => l.ExpiresAt ?? DateTime.MaxValue)
                     .ThenBy(l => l.EarnedAt)
                     .ThenBy(l => l.Id))
        {
            if (left == 0) break;
            var take = Math.Min(left, lot.Remaining);
            draws.Add(new LotDraw(lot.Id, take));
            left -= take;
        }
        return left == 0 ? draws : null;
    }

    /// <summary>
    /// Where a refund of <paramref name="points"/> goes back, when <paramref name="alreadyRefunded"/> points of the same
    /// spend came back before. <paramref name="draws"/> are what the spend took, in the order it took them. Refunds give
    /// back the last-taken points first (those that would have expired last), and together they never put more into a
    /// lot than the spend took from it: the k-th refund continues where the previous one stopped.
    /// Returns null when the refunds together would exceed the spend.
    /// </summary>
    public static IReadOnlyList<LotDraw>? Refund(IReadOnlyList<LotDraw> draws, long alreadyRefunded, long points)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(alreadyRefunded);
        ArgumentOutOfRangeException.ThrowIfNegative(points);
        var back = new List<LotDraw>();
        long skip = alreadyRefunded, left = points;
        for (var i = draws.Count - 1; i >= 0 && left > 0; i--)
        {
            var room = draws[i].Points;
            var skipped = Math.Min(skip, room);
            skip -= skipped;
            room -= skipped;
            if (room == 0) continue;
            var give = Math.Min(room, left);
            back.Add(new LotDraw(draws[i].LotId, give));
            left -= give;
        }
        return left == 0 ? back : null;
    }

    /// <summary>The lots that have expired at <paramref name="nowUtc"/> and still hold points.</summary>
    public static IEnumerable<LotState> Expired(IEnumerable<LotState> lots, DateTime nowUtc) =>
        lots.Where(l => l.Remaining > 0 && l.ExpiresAt is { } at && at <= nowUtc);
}
