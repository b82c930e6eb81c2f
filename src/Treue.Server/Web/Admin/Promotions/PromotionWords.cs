using System.Globalization;
using Treue.Domain.Promotions;
using Treue.Server.Web.Shared;

namespace Treue.Server.Web.Admin.Promotions;

/// <summary>Campaigns, codes and refusals as staff read them, in their language; money in the programme currency.</summary>
public static class PromotionWords
{
    /// <summary>The offer kinds in the order the editor lists them, by their JSON discriminator.</summary>
    public static readonly string[] Kinds =
    [
        "percent_off_basket", "amount_off_basket", "percent_off_lines", "amount_off_lines", "free_item", "buy_x_get_y", "bundle_price", "bonus_points",
        "points_multiplier",
    ];

    /// <summary>The name of an offer kind.</summary>
    public static string Kind(Loc l, string kind) => kind switch
    {
        "percent_off_basket" => l["Percentage off the basket"],
        "amount_off_basket" => l["Amount off the basket"],
        "percent_off_lines" => l["Percentage off matching lines"],
        "amount_off_lines" => l["Amount off matching lines"],
        "free_item" => l["Free item"],
        "buy_x_get_y" => l["Buy X get Y"],
        "bundle_price" => l["Bundle price"],
        "bonus_points" => l["Bonus points"],
        "points_multiplier" => l["Points multiplier"],
        _ => kind,
    };

    /// <summary>The JSON discriminator of an offer.</summary>
    public static string KindOf(Offer offer) => offer switch
    {
        PercentOffBasket => "percent_off_basket",
        AmountOffBasket => "amount_off_basket",
        PercentOffLines => "percent_off_lines",
        AmountOffLines => "amount_off_lines",
        FreeItem => "free_item",
        BuyXGetY => "buy_x_get_y",
        BundlePrice => "bundle_price",
        BonusPoints => "bonus_points",
        _ => "points_multiplier",
    };

    /// <summary>What an offer gives, in one phrase ("10 % off the basket").</summary>
    public static string Offer(Loc l, Offer offer, string currency) => offer switch
    {
        PercentOffBasket { MaxDiscount: { } max } p => l.Format("{0} % off the basket, at most {1}", Number(p.Percent), Loc.Money(max, currency)),
        PercentOffBasket p => l.Format("{0} % off the basket", Number(p.Percent)),
        AmountOffBasket a => l.Format("{0} off the basket", Loc.Money(a.Amount, currency)),
        PercentOffLines p => l.Format("{0} % off {1}", Number(p.Percent), Lines(l, p.Lines)),
        AmountOffLines { PerUnit: true } a => l.Format("{0} off each unit of {1}", Loc.Money(a.Amount, currency), Lines(l, a.Lines)),
        AmountOffLines a => l.Format("{0} off {1}", Loc.Money(a.Amount, currency), Lines(l, a.Lines)),
        FreeItem f => l.Format("{0} × {1} free", f.Quantity, f.Sku),
        BuyXGetY b when b.PercentOff >= 100 => l.Format("Buy {0} of {1}, get {2} free", b.BuyQuantity, Lines(l, b.Buy), b.GetQuantity),
        BuyXGetY b => l.Format("Buy {0} of {1}, get {2} at {3} % off", b.BuyQuantity, Lines(l, b.Buy), b.GetQuantity, Number(b.PercentOff)),
        BundlePrice b => l.Format("{0} for {1}", string.Join(" + ", b.Items.Select(i => $"{i.Quantity} × {string.Join("/", i.Skus)}")), Loc.Money(b.Price, currency)),
        BonusPoints b => l.Format("{0} bonus points", Loc.Points(b.Points)),
        PointsMultiplier m => l.Format("{0} × points on {1}", Number(m.Factor), Lines(l, m.Lines)),
        _ => offer.GetType().Name,
    };

    /// <summary>The lines a selector takes, in words.</summary>
    public static string Lines(Loc l, LineSelector? lines)
    {
        if (lines is null || (lines.Skus.Count == 0 && lines.Categories.Count == 0)) return l["every line"];
        var parts = new List<string>();
        if (lines.Skus.Count > 0) parts.Add(l.Format("SKUs {0}", string.Join(", ", lines.Skus)));
        if (lines.Categories.Count > 0) parts.Add(l.Format("categories {0}", string.Join(", ", lines.Categories)));
        return string.Join(l[" or "], parts);
    }

    /// <summary>How a campaign's codes come about.</summary>
    public static string Codes(Loc l, CodeKind kind) => kind switch
    {
        CodeKind.Automatic => l["No code (automatic)"],
        CodeKind.Generic => l["One generic code"],
        CodeKind.UniqueBatch => l["Unique codes from a pattern"],
        _ => l["Personal codes"],
    };

    /// <summary>Why a code does not apply, in words.</summary>
    public static string Refusal(Loc l, CodeRefusal r) => r.Reason switch
    {
        CodeRefusalReason.Unknown => l["The code is not valid."],
        CodeRefusalReason.NotYetValid => l["The campaign has not started at this time."],
        CodeRefusalReason.Expired => l["The campaign has ended at this time."],
        CodeRefusalReason.CodeLimitReached => l["The code has been used as often as it may be."],
        CodeRefusalReason.MemberLimitReached => l["The member has used the campaign as often as they may."],
        CodeRefusalReason.BudgetExhausted => l["The campaign's budget would be exceeded."],
        CodeRefusalReason.ConditionsNotMet => l.Format("The basket does not meet these conditions: {0}.", string.Join(", ", r.Unmet.Select(u => Condition(l, u)))),
        CodeRefusalReason.NotThisMembersCode => l["The code belongs to another member."],
        _ => l["The campaign does not combine with the promotions already applied."],
    };

    /// <summary>A condition's name as <see cref="ConditionCheck.Unmet(CampaignConditions, Domain.Earning.Basket, PurchaserFacts)"/> gives it, in words.</summary>
    public static string Condition(Loc l, string name) => name switch
    {
        "partner" => l["partner"],
        "store" => l["store"],
        "channel" => l["channel"],
        "date" => l["date"],
        "weekday" => l["weekday"],
        "time_of_day" => l["time of day"],
        "min_basket" => l["minimum basket"],
        "articles" => l["articles"],
        "first_purchase" => l["first purchase"],
        "membership" => l["membership"],
        "offer" => l["nothing in the basket the offer applies to"],
        _ => name,
    };

    /// <summary>A percentage or factor in the reader's format, without trailing zeros.</summary>
    public static string Number(decimal value) => value.ToString("0.##", CultureInfo.CurrentCulture);
}
