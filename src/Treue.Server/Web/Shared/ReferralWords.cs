using System.Globalization;
using Treue.Domain.Referrals;

namespace Treue.Server.Web.Shared;

/// <summary>Referral rewards and states in the reader's language, for the console and the portal alike.</summary>
public static class ReferralWords
{
    /// <summary>"500 points", "a coupon", "200 points and a coupon", or "nothing".</summary>
    public static string Reward(Loc l, ReferralReward reward) => (reward.Points > 0, reward.CampaignId is not null) switch
    {
        (true, true) => l.Format("{0} points and a coupon", Loc.Points(reward.Points)),
        (true, false) => l.Format("{0} points", Loc.Points(reward.Points)),
        (false, true) => l["a coupon"],
        _ => l["nothing"],
    };

    /// <summary>A referral's state, with the reward day while it is pending.</summary>
    public static string Status(Loc l, ReferralStatus status, DateOnly? rewardOn = null) => status switch
    {
        ReferralStatus.Waiting => l["waiting for the first purchase"],
        ReferralStatus.Pending when rewardOn is { } day => l.Format("rewarded on {0}", day.ToString("d", CultureInfo.CurrentCulture)),
        ReferralStatus.Pending => l["pending"],
        ReferralStatus.Rewarded => l["rewarded"],
        ReferralStatus.Cancelled => l["cancelled: purchase returned"],
        ReferralStatus.Lapsed => l["lapsed: no purchase in time"],
        ReferralStatus.Refused => l["refused"],
        _ => status.ToString(),
    };

    /// <summary>Why a referral was refused or cancelled.</summary>
    public static string Reason(Loc l, string? reason) => reason switch
    {
        null => "",
        "self_referral" => l["the same person as the referrer"],
        "referral_limit" => l["the referrer's limit was reached"],
        "returned" => l["the qualifying purchase was returned"],
        _ => reason,
    };
}
