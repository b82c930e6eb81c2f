using Treue.Domain.Referrals;

namespace Treue.Storage.Entities;

/// <summary>
/// A member's own referral code, made from the programme's pattern when first needed. The row is also the lock that
/// serialises enrolments with the code, so that the limit per referrer holds when two friends enrol at once.
/// </summary>
public sealed class MemberReferralCode
{
    public Guid ProgrammeId { get; set; }
    public Guid MemberId { get; set; }
    /// <summary>The code, normalised (see <see cref="Domain.Promotions.CouponCodes.Normalise"/>); unique in the programme.</summary>
    public required string Code { get; set; }
    /// <summary>Enrolments with the code so far, refused ones included; raised by the update that locks the row.</summary>
    public int Uses { get; set; }
    /// <summary>The SHA-256 of the payment reference the member enrolled with (a tokenised card or account), for the self-referral check.</summary>
    public byte[]? PaymentReferenceHash { get; set; }
    public DateTime CreatedAt { get; set; }
}

/// <summary>
/// A referral: the new member who enrolled with a code (one referral per new member, so the new member is its key), the
/// member whose code it was, and where it stands. The rewards are kept as they were given, so a cancellation takes back
/// exactly those even after the programme's terms changed. Changed only under its version.
/// </summary>
public sealed class ReferralRecord
{
    public Guid ProgrammeId { get; set; }
    /// <summary>The new member.</summary>
    public Guid MemberId { get; set; }
    /// <summary>The member whose code was used.</summary>
    public Guid ReferrerId { get; set; }
    public required string Code { get; set; }
    /// <summary>The day of enrolment in the programme's time zone.</summary>
    public DateOnly EnrolledOn { get; set; }
    public DateTime EnrolledAt { get; set; }
    public ReferralStatus Status { get; set; }
    /// <summary>Why the code was refused (<c>self_referral</c>, <c>referral_limit</c>).</summary>
    public string? Reason { get; set; }
    /// <summary>The qualifying purchase.</summary>
    public Guid? PurchaseId { get; set; }
    /// <summary>Its receipt id.</summary>
    public string? PurchaseReference { get; set; }
    public DateOnly? PurchasedOn { get; set; }
    /// <summary>The first day (programme time zone) the rewards are given: the day after the purchase's return window.</summary>
    public DateOnly? RewardOn { get; set; }
    /// <summary>The start of <see cref="RewardOn"/> as UTC: when the pending points become available.</summary>
    public DateTime? RewardAt { get; set; }
    public long ReferrerPoints { get; set; }
    public string? ReferrerCampaignId { get; set; }
    public long NewMemberPoints { get; set; }
    public string? NewMemberCampaignId { get; set; }
    /// <summary>Grows by one with every change; a change that finds another version is stale.</summary>
    public int Version { get; set; }
    public DateTime UpdatedAt { get; set; }
}
