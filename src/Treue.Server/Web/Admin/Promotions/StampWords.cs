using Treue.Domain.Promotions;
using Treue.Server.Web.Shared;

namespace Treue.Server.Web.Admin.Promotions;

/// <summary>Stamp cards as staff read them, in their language.</summary>
public static class StampWords
{
    /// <summary>What a purchase collects a stamp for.</summary>
    public static string Basis(Loc l, StampCardDefinition card, string currency)
    {
        var lines = card.Conditions.HasLineFilter
            ? PromotionWords.Lines(l, new LineSelector { Skus = card.Conditions.Skus, Categories = card.Conditions.Categories })
            : l["every line"];
        return card.Basis == StampBasis.PerUnit
            ? l.Format("each unit of {0}", lines)
            : l.Format("each {0} spent on {1}", Loc.Money(card.AmountPerStamp, currency), lines);
    }

    /// <summary>What a full card gives.</summary>
    public static string Reward(Loc l, StampReward reward) => reward.Kind switch
    {
        StampRewardKind.Points => l.Format("{0} points", Loc.Points(reward.Points)),
        StampRewardKind.PersonalCoupon => l.Format("a personal coupon of the campaign {0}", reward.CampaignId ?? "–"),
        _ => l.Format("{0} free at the next purchase", reward.Sku ?? reward.CampaignId ?? "–"),
    };
}
