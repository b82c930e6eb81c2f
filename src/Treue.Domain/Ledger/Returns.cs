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

    private static long Share(long points, decimal part, decimal whole) =>
        part >= whole ? points : (long)decimal.Floor(points * part / whole);
}
