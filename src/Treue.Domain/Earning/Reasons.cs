using System.Globalization;

namespace Treue.Domain.Earning;

/// <summary>
/// The stable keys of <see cref="Reason"/>: what made points move, without words, so that every reader gets the
/// explanation in their own language.
/// </summary>
public static class ReasonKeys
{
    /// <summary>The programme's base rate on a line.</summary>
    public const string BaseRate = "base_rate";
    /// <summary>An earning rule; <see cref="Reason.Subject"/> is its name, <see cref="Reason.Effect"/> and <see cref="Reason.Value"/> what it gives.</summary>
    public const string Rule = "rule";
    /// <summary>Pending points became available because the return window passed.</summary>
    public const string ReturnWindowPassed = "return_window_passed";
    /// <summary>Points expired; <see cref="Reason.Date"/> is the day they were earned.</summary>
    public const string Expired = "expired";
    /// <summary>Points paid with at checkout; <see cref="Reason.Value"/> and <see cref="Reason.Unit"/> are the money, <see cref="Reason.Subject"/> the partner.</summary>
    public const string PaidAtCheckout = "paid_at_checkout";
    /// <summary>A returned line; <see cref="Reason.Value"/> is the quantity returned, <see cref="Reason.Line"/> the line.</summary>
    public const string Returned = "returned";
    /// <summary>The purchase's bonus taken back because the whole purchase was returned.</summary>
    public const string BonusTakenBack = "bonus_taken_back";
    /// <summary>Points paid with at checkout given back on a return.</summary>
    public const string PaymentRefunded = "payment_refunded";
    /// <summary>A reward redeemed; <see cref="Reason.Subject"/> is the reward's name.</summary>
    public const string Redeemed = "redeemed";
    /// <summary>A reward order cancelled and its points given back; <see cref="Reason.Subject"/> is the reward's name.</summary>
    public const string OrderCancelled = "order_cancelled";
    /// <summary>Points adjusted by hand; <see cref="Reason.Subject"/> is the reason given.</summary>
    public const string Adjusted = "adjusted";
    /// <summary>A tier's earning multiplier; <see cref="Reason.Subject"/> is the tier's name, <see cref="Reason.Value"/> the multiplier.</summary>
    public const string TierMultiplier = "tier_multiplier";
    /// <summary>A full stamp card's reward in points; <see cref="Reason.Subject"/> is the card's name, <see cref="Reason.Value"/> the card's number.</summary>
    public const string StampCardFull = "stamp_card_full";
    /// <summary>A stamp card's reward taken back after a return took its stamps; <see cref="Reason.Subject"/> is the card's name, <see cref="Reason.Value"/> the card's number.</summary>
    public const string StampCardTakenBack = "stamp_card_taken_back";
    /// <summary>A referral's reward, to either side (no names: the other member's name is theirs).</summary>
    public const string ReferralReward = "referral_reward";
    /// <summary>A referral's reward taken back because the qualifying purchase came back in full.</summary>
    public const string ReferralCancelled = "referral_cancelled";
}

/// <summary>
/// Why points moved, in parts and not in words: a <see cref="Key"/> from <see cref="ReasonKeys"/> and the values its
/// words need. Names (of a rule, a partner, a reward) and reasons typed by a person are kept as they were written;
/// everything else is put into words by the reader's language.
/// </summary>
/// <param name="Key">What happened, one of <see cref="ReasonKeys"/>.</param>
public sealed record Reason(string Key)
{
    /// <summary>The receipt line concerned, if any.</summary>
    public int? Line { get; init; }

    /// <summary>The kind of a rule's effect.</summary>
    public EffectKind? Effect { get; init; }

    /// <summary>A number: a rule's effect value, a returned quantity, an amount of money.</summary>
    public decimal? Value { get; init; }

    /// <summary>The currency of <see cref="Value"/> when it is money.</summary>
    public string? Unit { get; init; }

    /// <summary>A name or a text as a person wrote it: a rule's or a reward's name, a partner's name, a reason.</summary>
    public string? Subject { get; init; }

    /// <summary>A day, such as the day expired points were earned.</summary>
    public DateOnly? Date { get; init; }

    /// <summary>
    /// The explanation in English, as it has always been written into <see cref="Contribution.Name"/> (which the API
    /// returns), including the line it concerns.
    /// </summary>
    public string English()
    {
        var text = Key switch
        {
            ReasonKeys.BaseRate => "Base rate",
            ReasonKeys.Rule => Subject ?? $"{Effect} {Invariant(Value)}",
            ReasonKeys.ReturnWindowPassed => "Return window passed",
            ReasonKeys.Expired => $"Points earned {Date?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)} expired",
            ReasonKeys.PaidAtCheckout => $"Paid {Invariant(Value)} {Unit} at {Subject}",
            ReasonKeys.Returned => $"Returned {Invariant(Value)} × line {Line}",
            ReasonKeys.BonusTakenBack => "Purchase bonus taken back (whole purchase returned)",
            ReasonKeys.PaymentRefunded => "Points paid with come back",
            ReasonKeys.Redeemed => Subject ?? "",
            ReasonKeys.OrderCancelled => "Reward order cancelled: " + Subject,
            ReasonKeys.Adjusted => Subject ?? "",
            ReasonKeys.TierMultiplier => $"{Subject} tier: {Invariant(Value)}× points",
            // The card's own name, as its programme wrote it, and what happened to which of the member's cards.
            ReasonKeys.StampCardFull => $"{Subject}: card {Invariant(Value)} full",
            ReasonKeys.StampCardTakenBack => $"{Subject}: card {Invariant(Value)} taken back",
            ReasonKeys.ReferralReward => "Referral reward",
            ReasonKeys.ReferralCancelled => "Referral reward taken back (qualifying purchase returned)",
            _ => Subject ?? Key,
        };
        // A returned line names its line in its own words.
        return Line is { } line && Key != ReasonKeys.Returned ? $"{text} (line {line})" : text;
    }

    private static string Invariant(decimal? value) => value?.ToString(CultureInfo.InvariantCulture) ?? "";
}
