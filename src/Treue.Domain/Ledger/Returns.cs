namespace Treue.Domain.Ledger;

/// <summary>
/// How much a return takes back. Amounts are computed cumulatively: the points reversed after a return
/// are the line's points times the share of the line returned so far, rounded down, minus what earlier
/// returns already reversed. Several partial returns therefore add up to exactly the line's points,
/// never more.
/// </summary>
public static class Returns
{
    /// <summary>Points to reverse for a line now.</summary>
    /// <param name="linePoints">Points the line earned.</param>
    /// <param name="quantityBought">Units on the original receipt.</param>
    /// <param name="returnedBefore">Units returned by earlier returns.</param>
    /// <param name="returnedNow">Units returned now.</param>
    public static long LinePointsToReverse(long linePoints, decimal quantityBought, decimal returnedBefore, decimal returnedNow)
    {
        if (quantityBought <= 0) return 0;
        if (returnedNow <= 0 || returnedBefore + returnedNow > quantityBought)
            throw new ArgumentOutOfRangeException(nameof(returnedNow), "A return cannot exceed what was bought.");
        return Share(linePoints, returnedBefore + returnedNow, quantityBought) - Share(linePoints, returnedBefore, quantityBought);
    }

    /// <summary>
    /// Points to give back for points paid at checkout when part of the purchase comes back: the points paid
    /// times the share of the receipt's value returned so far, minus what was refunded before.
    /// </summary>
    public static long PaidPointsToRefund(long pointsPaid, decimal receiptTotal, decimal returnedValueBefore, decimal returnedValueNow)
    {
        if (pointsPaid == 0 || receiptTotal <= 0) return 0;
        return Share(pointsPaid, returnedValueBefore + returnedValueNow, receiptTotal) - Share(pointsPaid, returnedValueBefore, receiptTotal);
    }

    /// <summary>
    /// Purchase-level bonuses (fixed bonuses) are taken back only with the last returned unit: a member who
    /// returns one of ten items keeps the bonus for the nine.
    /// </summary>
    public static long BonusPointsToReverse(long bonusPoints, bool purchaseFullyReturned) => purchaseFullyReturned ? bonusPoints : 0;

    /// <summary>
    /// Where the points a return takes back come from. Pending points of the purchase are voided (they were never
    /// spendable). Available points are taken from the purchase's own lot first, then oldest-first from the member's other
    /// lots, but never more than the member holds: what they have already spent is written off as unrecovered, so a return
    /// never drives a balance below zero.
    /// </summary>
    /// <param name="points">Points the returned lines and bonuses earned.</param>
    /// <param name="purchaseLot">The lot the purchase earned into.</param>
    /// <param name="purchaseLotPending">Whether that lot is still pending.</param>
    /// <param name="available">The member's available balance.</param>
    /// <param name="otherLots">The member's other available lots (only read when the purchase's own lot falls short).</param>
    public static ReversalPlan PlanReversal(long points, LotState purchaseLot, bool purchaseLotPending, long available, IEnumerable<LotState> otherLots)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(points);
        if (purchaseLotPending)
        {
            var voided = Math.Min(points, purchaseLot.Remaining);
            return new ReversalPlan(true, voided == 0 ? [] : [new LotDraw(purchaseLot.Id, voided)], voided, 0);
        }
        var taken = Math.Min(points, Math.Max(available, 0));
        var draws = new List<LotDraw>();
        var own = Math.Min(taken, purchaseLot.Remaining);
        if (own > 0) draws.Add(new LotDraw(purchaseLot.Id, own));
        if (taken > own)
        {
            var others = PointLots.DrawOldestFirst(otherLots.Where(l => l.Id != purchaseLot.Id), taken - own)
                ?? throw new InvalidOperationException("The member's lots do not cover their available balance.");
            draws.AddRange(others);
        }
        return new ReversalPlan(false, draws, taken, points - taken);
    }

    private static long Share(long points, decimal part, decimal whole) =>
        part >= whole ? points : (long)decimal.Floor(points * part / whole);
}

/// <summary>Where a return's points come from.</summary>
/// <param name="FromPending">Whether the points are voided from the pending balance (the purchase's lot is still pending).</param>
/// <param name="Draws">Points taken lot by lot.</param>
/// <param name="Taken">Points taken from the member in all.</param>
/// <param name="Unrecovered">Points the member had already spent, written off.</param>
public sealed record ReversalPlan(bool FromPending, IReadOnlyList<LotDraw> Draws, long Taken, long Unrecovered);
