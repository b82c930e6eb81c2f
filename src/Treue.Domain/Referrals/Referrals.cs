using System.Security.Cryptography;
using Treue.Domain.Promotions;

namespace Treue.Domain.Referrals;

/// <summary>What one side of a referral receives: points, a personal coupon of a campaign, or both.</summary>
/// <param name="Points">Points awarded (0 for none).</param>
/// <param name="CampaignId">The campaign whose personal coupon is issued, or null.</param>
public sealed record ReferralReward(long Points, string? CampaignId = null);

/// <summary>A programme's referral terms.</summary>
/// <param name="CodePattern">The pattern of members' referral codes (see <see cref="CouponCodes"/>).</param>
/// <param name="QualifyWithinDays">Days after enrolment within which the new member's first qualifying purchase must come.</param>
/// <param name="ReturnWindowDays">Days the rewards stay pending after the qualifying purchase (its return window).</param>
/// <param name="Referrer">What the member who referred receives.</param>
/// <param name="NewMember">What the new member receives.</param>
public sealed record ReferralTerms(string CodePattern, int QualifyWithinDays, int ReturnWindowDays, ReferralReward Referrer, ReferralReward NewMember)
{
    /// <summary>The smallest purchase total that qualifies, in the programme's currency.</summary>
    public decimal MinPurchase { get; init; }

    /// <summary>The most referrals one member may make within <see cref="LimitDays"/>; 0 for no limit.</summary>
    public int MaxPerReferrer { get; init; }

    /// <summary>The length of the period the limit counts over, in days up to and including the day of enrolment.</summary>
    public int LimitDays { get; init; } = 365;

    /// <summary>Why the terms cannot be used, naming the field at fault, or null when they can.</summary>
    public Refusal? Problem()
    {
        if (CouponCodes.Problem(CodePattern) is { } problem) return Invalid("codePattern", problem);
        if (QualifyWithinDays < 1) return Invalid("qualifyWithinDays", "The new member needs at least one day to qualify.");
        if (ReturnWindowDays < 0) return Invalid("returnWindowDays", "The return window cannot be negative.");
        if (Referrer.Points < 0) return Invalid("referrer.points", "A reward cannot take points.");
        if (NewMember.Points < 0) return Invalid("newMember.points", "A reward cannot take points.");
        if (MinPurchase < 0) return Invalid("minPurchase", "The smallest purchase cannot be negative.");
        if (MaxPerReferrer < 0) return Invalid("maxPerReferrer", "The limit cannot be negative.");
        if (LimitDays < 1) return Invalid("limitDays", "The limit counts over at least one day.");
        return null;
    }

    private static Refusal Invalid(string field, string message) => new("invalid_referral_terms", message, field);
}

/// <summary>What identifies a person, for the self-referral check.</summary>
/// <param name="Email">E-mail address.</param>
/// <param name="Cards">Card numbers.</param>
/// <param name="PaymentReferences">Payment references (a tokenised card or account).</param>
public sealed record Identity(string? Email, IReadOnlyList<string> Cards, IReadOnlyList<string> PaymentReferences)
{
    /// <summary>True when the two share an e-mail address (ignoring case and spaces), a card or a payment reference.</summary>
    public bool Shares(Identity other) =>
        (Normal(Email) is { } mail && mail == Normal(other.Email))
        || Cards.Select(Normal).Intersect(other.Cards.Select(Normal)).Any(c => c is not null)
        || PaymentReferences.Select(Normal).Intersect(other.PaymentReferences.Select(Normal)).Any(p => p is not null);

    private static string? Normal(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim().ToUpperInvariant();
}

/// <summary>Where a referral stands.</summary>
public enum ReferralStatus
{
    /// <summary>The new member enrolled with the code and has not yet made a qualifying purchase (waiting for it).</summary>
    Waiting,
    /// <summary>The qualifying purchase was made; the rewards wait for its return window.</summary>
    Pending,
    /// <summary>Both sides were rewarded.</summary>
    Rewarded,
    /// <summary>The qualifying purchase was returned in full.</summary>
    Cancelled,
    /// <summary>No qualifying purchase came in time.</summary>
    Lapsed,
    /// <summary>The code was refused at enrolment (a self-referral, or the referrer's limit was reached); the reason is kept.</summary>
    Refused,
}

/// <summary>A referral: who brought whom, and where it stands.</summary>
/// <param name="Referrer">The member whose code was used.</param>
/// <param name="NewMember">The member who enrolled with it.</param>
/// <param name="Code">The code used.</param>
/// <param name="EnrolledOn">The day of enrolment (programme time zone).</param>
/// <param name="Status">Where it stands.</param>
public sealed record Referral(Guid Referrer, Guid NewMember, string Code, DateOnly EnrolledOn, ReferralStatus Status)
{
    /// <summary>The qualifying purchase's reference.</summary>
    public string? PurchaseReference { get; init; }

    /// <summary>The day of the qualifying purchase.</summary>
    public DateOnly? PurchasedOn { get; init; }

    /// <summary>The first day the rewards may be given: the day after the purchase's return window.</summary>
    public DateOnly? RewardOn { get; init; }
}

/// <summary>The rewards a referral gives when it settles.</summary>
/// <param name="Referrer">The member who referred, and their reward.</param>
/// <param name="NewMember">The new member, and their reward.</param>
public sealed record ReferralPayout((Guid Member, ReferralReward Reward) Referrer, (Guid Member, ReferralReward Reward) NewMember);

/// <summary>
/// The referral state machine: enrolled with a code, pending after the first qualifying purchase, rewarded once the
/// purchase's return window has passed, cancelled by a full return of that purchase, lapsed when no purchase came in time.
/// Pure functions of the terms, the referral and the day.
/// </summary>
public static class ReferralRules
{
    /// <summary>A new member's referral code, from the programme's pattern (with its check character).</summary>
    public static string NewCode(ReferralTerms terms, RandomNumberGenerator random) => CouponCodes.Generate(terms.CodePattern, random);

    /// <summary>
    /// Enrols a new member with a referral code. Refused when the code is mistyped (<c>invalid_code</c>), when the new
    /// member shares an e-mail address, card or payment reference with the referrer (<c>self_referral</c>), or when the
    /// referrer has reached the limit of referrals in the period (<c>referral_limit</c>); all name the field
    /// <c>referralCode</c>.
    /// </summary>
    /// <param name="terms">The programme's terms.</param>
    /// <param name="code">The code as typed.</param>
    /// <param name="referrer">The member the code belongs to (the store looks it up).</param>
    /// <param name="referrerIdentity">Their e-mail, cards and payment references.</param>
    /// <param name="referrerEnrolments">The days of the referrer's earlier referrals (not cancelled).</param>
    /// <param name="newMember">The new member.</param>
    /// <param name="newIdentity">Their e-mail, cards and payment references.</param>
    /// <param name="today">The day of enrolment.</param>
    public static (Referral? Referral, Refusal? Refusal) Enrol(ReferralTerms terms, string code, Guid referrer, Identity referrerIdentity,
        IEnumerable<DateOnly> referrerEnrolments, Guid newMember, Identity newIdentity, DateOnly today)
    {
        const string Field = "referralCode";
        if (!CouponCodes.IsValid(terms.CodePattern, code)) return (null, new Refusal("invalid_code", "The referral code is not valid.", Field));
        if (referrer == newMember || referrerIdentity.Shares(newIdentity))
            return (null, new Refusal("self_referral", "A member cannot refer themselves.", Field));
        if (terms.MaxPerReferrer > 0)
        {
            var since = today.AddDays(1 - terms.LimitDays);
            if (referrerEnrolments.Count(d => d >= since && d <= today) >= terms.MaxPerReferrer)
                return (null, new Refusal("referral_limit", $"The code has been used {terms.MaxPerReferrer} times in {terms.LimitDays} days.", Field));
        }
        return (new Referral(referrer, newMember, CouponCodes.Normalise(code), today, ReferralStatus.Waiting), null);
    }

    /// <summary>
    /// A purchase of the new member: the first one of at least <see cref="ReferralTerms.MinPurchase"/> within
    /// <see cref="ReferralTerms.QualifyWithinDays"/> days of enrolment makes the referral pending until its return window
    /// has passed. Any other purchase changes nothing.
    /// </summary>
    public static Referral OnPurchase(ReferralTerms terms, Referral referral, string reference, decimal total, DateOnly day)
    {
        if (referral.Status != ReferralStatus.Waiting || total < terms.MinPurchase || total <= 0) return referral;
        if (day < referral.EnrolledOn || day > referral.EnrolledOn.AddDays(terms.QualifyWithinDays)) return referral;
        return referral with
        {
            Status = ReferralStatus.Pending,
            PurchaseReference = reference,
            PurchasedOn = day,
            RewardOn = day.AddDays(terms.ReturnWindowDays + 1),
        };
    }

    /// <summary>A return: a full return of the qualifying purchase while pending cancels the referral; anything else changes nothing.</summary>
    public static Referral OnReturn(Referral referral, string reference, bool fullReturn) =>
        referral.Status == ReferralStatus.Pending && fullReturn && referral.PurchaseReference == reference
            ? referral with { Status = ReferralStatus.Cancelled }
            : referral;

    /// <summary>
    /// Brings a referral up to <paramref name="today"/>: pending rewards are given once the return window has passed (the
    /// payout, exactly once: the referral is then rewarded), and a referral without a qualifying purchase lapses after
    /// its days.
    /// </summary>
    public static (Referral Referral, ReferralPayout? Payout) Settle(ReferralTerms terms, Referral referral, DateOnly today)
    {
        if (referral.Status == ReferralStatus.Pending && referral.RewardOn is { } on && today >= on)
            return (referral with { Status = ReferralStatus.Rewarded },
                new ReferralPayout((referral.Referrer, terms.Referrer), (referral.NewMember, terms.NewMember)));
        if (referral.Status == ReferralStatus.Waiting && today > referral.EnrolledOn.AddDays(terms.QualifyWithinDays))
            return (referral with { Status = ReferralStatus.Lapsed }, null);
        return (referral, null);
    }
}
