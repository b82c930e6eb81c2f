using System.Globalization;
using Treue.Domain.Promotions;

namespace Treue.Server.Web.Shared;

/// <summary>
/// A campaign's offer and a stamp card's reward in words of the reader's language ("10 % off your purchase"), so a member
/// reads what a coupon gives without knowing the offer kinds.
/// </summary>
public sealed class OfferWords(Loc l, string currency)
{
    private readonly Loc L = l;

    /// <summary>What the offer gives.</summary>
    public string Describe(Offer offer) => offer switch
    {
        PercentOffBasket p when p.MaxDiscount is { } max => L.Format("{0} % off your purchase, up to {1}", Number(p.Percent), Money(max)),
        PercentOffBasket p => L.Format("{0} % off your purchase", Number(p.Percent)),
        AmountOffBasket a => L.Format("{0} off your purchase", Money(a.Amount)),
        PercentOffLines p => L.Format("{0} % off {1}", Number(p.Percent), Lines(p.Lines)),
        AmountOffLines a when a.PerUnit => L.Format("{0} off each of {1}", Money(a.Amount), Lines(a.Lines)),
        AmountOffLines a => L.Format("{0} off {1}", Money(a.Amount), Lines(a.Lines)),
        FreeItem f => f.Quantity == 1 ? L.Format("{0} free", f.Sku) : L.Format("{0} × {1} free", f.Quantity, f.Sku),
        BuyXGetY b when b.PercentOff >= 100 => L.Format("Buy {0}, get {1} more free ({2})", b.BuyQuantity, b.GetQuantity, Lines(b.Get ?? b.Buy)),
        BuyXGetY b => L.Format("Buy {0}, get {1} at {2} % off ({3})", b.BuyQuantity, b.GetQuantity, Number(b.PercentOff), Lines(b.Get ?? b.Buy)),
        BundlePrice b => L.Format("{0} for {1}", string.Join(" + ", b.Items.Select(i => (i.Quantity == 1 ? "" : i.Quantity + " × ") + string.Join("/", i.Skus))), Money(b.Price)),
        BonusPoints b => L.Format("{0} bonus points", Loc.Points(b.Points)),
        PointsMultiplier m => L.Format("{0}× points on {1}", Number(m.Factor), Lines(m.Lines)),
        _ => offer.GetType().Name,
    };

    /// <summary>What a full stamp card gives.</summary>
    public string Reward(StampReward reward) => reward.Kind switch
    {
        StampRewardKind.Points => L.Format("A full card gives {0} points.", Loc.Points(reward.Points)),
        StampRewardKind.FreeItemNextPurchase => L.Format("A full card gives {0} free at your next purchase.", reward.Sku ?? L["an article"]),
        _ => L["A full card gives you a personal coupon."],
    };

    private string Lines(LineSelector lines)
    {
        var names = (lines.Skus ?? []).Concat(lines.Categories ?? []).ToList();
        return names.Count == 0 ? L["every article"] : string.Join(", ", names);
    }

    private string Money(decimal amount) => Loc.Money(amount, currency);

    private static string Number(decimal value) => value.ToString(value == decimal.Truncate(value) ? "N0" : "N2", CultureInfo.CurrentCulture);
}
