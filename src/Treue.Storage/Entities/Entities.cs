using Treue.Domain.Earning;
using Treue.Domain.Ledger;
using Treue.Domain.Programmes;

namespace Treue.Storage.Entities;

// Persistence shapes. Money is stored in integer minor units of the programme currency so that both
// databases can sum and compare it exactly; times are UTC.

public sealed class Programme
{
    public Guid Id { get; set; }
    public required string Code { get; set; }
    public required string Name { get; set; }
    public required string Currency { get; set; }
    /// <summary>Money value of one point when paying with points.</summary>
    public decimal PointValue { get; set; }
    public decimal BaseRate { get; set; }
    public RoundingPolicy Rounding { get; set; }
    public string TimeZone { get; set; } = "UTC";
    public int PendingDays { get; set; }
    public ExpiryPolicy Expiry { get; set; } = ExpiryPolicy.Never;
    public PayWithPointsPolicy PayWithPoints { get; set; } = new();
    /// <summary>How the programme's campaigns stack (order of offer categories, stacking groups); null: the default.</summary>
    public Domain.Promotions.PromotionStacking? PromotionStacking { get; set; }
    /// <summary>The programme's tiers, or null when it has none.</summary>
    public Domain.Tiers.TierScheme? Tiers { get; set; }
    /// <summary>The programme's referral terms (see docs/referrals.md), or null when it runs no referrals.</summary>
    public Domain.Referrals.ReferralTerms? Referrals { get; set; }
    /// <summary>Grows by one with every configuration change; compiled rules are cached per version.</summary>
    public int ConfigVersion { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
}

public sealed class Partner
{
    public Guid Id { get; set; }
    public Guid ProgrammeId { get; set; }
    public required string Code { get; set; }
    public required string Name { get; set; }
    public bool Active { get; set; } = true;
}

public sealed class Store
{
    public Guid Id { get; set; }
    public Guid ProgrammeId { get; set; }
    public Guid PartnerId { get; set; }
    public required string Code { get; set; }
    public required string Name { get; set; }
    public bool Active { get; set; } = true;
}

public sealed class Rule
{
    public Guid Id { get; set; }
    public Guid ProgrammeId { get; set; }
    public required string Code { get; set; }
    public required EarningRule Definition { get; set; }
    public bool Active { get; set; } = true;
}

public sealed class Reward
{
    public Guid Id { get; set; }
    public Guid ProgrammeId { get; set; }
    public required string Code { get; set; }
    public required string Name { get; set; }
    public string? Description { get; set; }
    public string? ImageUrl { get; set; }
    public long PointsPrice { get; set; }
    public long CoPaymentMinor { get; set; }
    /// <summary>How many can ever be issued; null is unlimited.</summary>
    public long? StockLimit { get; set; }
    /// <summary>How many are issued (placed or fulfilled orders). Guarded by the database against <see cref="StockLimit"/>.</summary>
    public long StockIssued { get; set; }
    public DateTime? ValidFrom { get; set; }
    public DateTime? ValidTo { get; set; }
    public bool Active { get; set; } = true;
}

public enum MemberStatus { Active, Blocked, Closed }

public sealed class Member
{
    public Guid Id { get; set; }
    public Guid ProgrammeId { get; set; }
    public string? ExternalRef { get; set; }
    public required string Name { get; set; }
    public string? Email { get; set; }
    /// <summary>Lower-cased e-mail, for look-ups.</summary>
    public string? EmailKey { get; set; }
    public DateOnly? Birthday { get; set; }
    public string Language { get; set; } = "en";
    public MemberStatus Status { get; set; }
    public DateTime EnrolledAt { get; set; }
    /// <summary>Cached sum of the member's available-account entries. Changed only by guarded updates in <see cref="Ledger"/>.</summary>
    public long Available { get; set; }
    /// <summary>Cached sum of the member's pending-account entries.</summary>
    public long Pending { get; set; }
    public int PurchaseCount { get; set; }
}

public enum CardKind { Physical, Digital }

public enum CardStatus { Active, Blocked }

public sealed class Card
{
    public Guid Id { get; set; }
    public Guid ProgrammeId { get; set; }
    public Guid MemberId { get; set; }
    public required string Number { get; set; }
    public string? Token { get; set; }
    public CardKind Kind { get; set; }
    public CardStatus Status { get; set; }
    public DateTime IssuedAt { get; set; }
    public DateTime? BlockedAt { get; set; }
    public string? BlockReason { get; set; }
    public string? ReplacedBy { get; set; }
}

public sealed class Purchase
{
    public Guid Id { get; set; }
    public Guid ProgrammeId { get; set; }
    /// <summary>Null for an anonymous purchase (no card shown).</summary>
    public Guid? MemberId { get; set; }
    public string? CardNumber { get; set; }
    public Guid PartnerId { get; set; }
    public required string PartnerCode { get; set; }
    public string? StoreCode { get; set; }
    public Channel Channel { get; set; }
    /// <summary>
    /// The member's n-th recorded purchase (1 for their first), as it was decided: the count the decision saw plus one.
    /// Replays and "n-th purchase" instruments read it instead of guessing the order from times.
    /// </summary>
    public int? MemberPurchaseNo { get; set; }
    public required string ReceiptId { get; set; }
    /// <summary>Hash of the request that recorded the purchase: the same receipt id with other content is a conflict.</summary>
    public required string Fingerprint { get; set; }
    public DateTime OccurredAt { get; set; }
    public DateTime RecordedAt { get; set; }
    public required string Currency { get; set; }
    public long TotalMinor { get; set; }
    public long PointsEarned { get; set; }
    public long BonusPoints { get; set; }
    public long PointsPaid { get; set; }
    public long PointsDiscountMinor { get; set; }
    public long ReturnedMinor { get; set; }
    public long PointsReversed { get; set; }
    public long PaidPointsRefunded { get; set; }
    /// <summary>The ledger transaction that paid with points, if any (refunds put points back into its lots).</summary>
    public long? PaymentTransactionId { get; set; }
    /// <summary>Purchase-level contributions (fixed bonuses) as computed at the time of purchase.</summary>
    public List<Contribution> Bonuses { get; set; } = [];
    public List<PurchaseLine> Lines { get; set; } = [];
}

public sealed class PurchaseLine
{
    public Guid PurchaseId { get; set; }
    public int LineNo { get; set; }
    public Guid ProgrammeId { get; set; }
    public Guid? MemberId { get; set; }
    public required string Sku { get; set; }
    public string? Category { get; set; }
    public decimal Quantity { get; set; }
    public long UnitPriceMinor { get; set; }
    public long DiscountMinor { get; set; }
    public long NetMinor { get; set; }
    public long Points { get; set; }
    public List<Contribution> Contributions { get; set; } = [];
    public decimal ReturnedQuantity { get; set; }
    public long ReturnedMinor { get; set; }
    public long PointsReversed { get; set; }
}

public sealed class PurchaseReturn
{
    public Guid Id { get; set; }
    public Guid ProgrammeId { get; set; }
    public Guid PurchaseId { get; set; }
    public Guid? MemberId { get; set; }
    public required string ReturnId { get; set; }
    public required string Fingerprint { get; set; }
    public DateTime OccurredAt { get; set; }
    public long ValueMinor { get; set; }
    public long PointsReversed { get; set; }
    public long PointsUnrecovered { get; set; }
    public long PaidPointsRefunded { get; set; }
    public List<ReturnedLine> Lines { get; set; } = [];
}

public sealed record ReturnedLine(int LineNo, decimal Quantity, long ValueMinor, long PointsReversed);

public sealed class LedgerTransaction
{
    public long Id { get; set; }
    public Guid ProgrammeId { get; set; }
    public Guid? MemberId { get; set; }
    public LedgerKind Kind { get; set; }
    public DateTime OccurredAt { get; set; }
    public DateTime RecordedAt { get; set; }
    /// <summary>Unique per programme when set: a job or a request that must never post twice.</summary>
    public string? IdempotencyKey { get; set; }
    public Guid? PurchaseId { get; set; }
    public Guid? ReturnId { get; set; }
    public Guid? RewardOrderId { get; set; }
    public long? LotId { get; set; }
    public string? Reason { get; set; }
    public string? Actor { get; set; }
    /// <summary>Why the points moved, rule by rule (earnings) or in words (everything else).</summary>
    public List<Contribution> Explanation { get; set; } = [];
    public List<LedgerEntry> Entries { get; set; } = [];
    public List<LotDrawRecord> Draws { get; set; } = [];
}

public sealed class LedgerEntry
{
    public long Id { get; set; }
    public long TransactionId { get; set; }
    public Guid ProgrammeId { get; set; }
    public Guid? MemberId { get; set; }
    public required string Account { get; set; }
    public long Amount { get; set; }
}

public enum LotStatus { Pending, Available, Closed }

public sealed class PointLot
{
    public long Id { get; set; }
    public Guid ProgrammeId { get; set; }
    public Guid MemberId { get; set; }
    public Guid? PurchaseId { get; set; }
    public string Source { get; set; } = "";
    public DateTime EarnedAt { get; set; }
    public DateTime AvailableAt { get; set; }
    public DateTime? ExpiresAt { get; set; }
    public long Amount { get; set; }
    public long Remaining { get; set; }
    public LotStatus Status { get; set; }
}

/// <summary>Points a transaction took from a lot, so that a refund can put them back where they came from.</summary>
public sealed class LotDrawRecord
{
    public long Id { get; set; }
    public long TransactionId { get; set; }
    public long LotId { get; set; }
    public Guid ProgrammeId { get; set; }
    public Guid MemberId { get; set; }
    public long Points { get; set; }
}

public enum RewardOrderStatus { Placed, Fulfilled, Cancelled }

public sealed class RewardOrder
{
    public Guid Id { get; set; }
    public Guid ProgrammeId { get; set; }
    public Guid MemberId { get; set; }
    public Guid RewardId { get; set; }
    public required string RewardCode { get; set; }
    public required string RewardName { get; set; }
    public long Points { get; set; }
    public long CoPaymentMinor { get; set; }
    public RewardOrderStatus Status { get; set; }
    public DateTime PlacedAt { get; set; }
    public DateTime? FulfilledAt { get; set; }
    public DateTime? CancelledAt { get; set; }
    public long RedeemTransactionId { get; set; }
}

public enum ApiRole { Admin, Pos }

public sealed class ApiKey
{
    public Guid Id { get; set; }
    public Guid ProgrammeId { get; set; }
    public required string Name { get; set; }
    public ApiRole Role { get; set; }
    /// <summary>When set, the key may act only for this partner (a coalition partner's till).</summary>
    public string? PartnerCode { get; set; }
    /// <summary>The first characters of the key, to recognise it in lists.</summary>
    public required string Prefix { get; set; }
    /// <summary>SHA-256 of the whole key. Keys are 256-bit random secrets, so a fast hash is safe.</summary>
    public required string Hash { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? RevokedAt { get; set; }
    public DateTime? LastUsedAt { get; set; }
}

public sealed class IdempotencyRecord
{
    public Guid ProgrammeId { get; set; }
    /// <summary>Whose key this is: the API key id. Two clients may use the same key string independently.</summary>
    public Guid Scope { get; set; }
    public required string Key { get; set; }
    public required string RequestHash { get; set; }
    public int StatusCode { get; set; }
    public string? ContentType { get; set; }
    /// <summary>The Location header of the first response, replayed with it.</summary>
    public string? Location { get; set; }
    /// <summary>The first response's body; empty when the record points to the resource the request made (<see cref="IsResource"/>).</summary>
    public byte[] Body { get; set; } = [];
    public DateTime CreatedAt { get; set; }

    /// <summary>
    /// The record keeps the outcome and the resource the request made (at <see cref="Location"/>), not the response:
    /// a replay shows the resource. Set by acts that record their key with their own writes.
    /// </summary>
    public bool IsResource => Body.Length == 0 && ContentType is null && Location is not null && StatusCode is >= 200 and < 300;
}

/// <summary>
/// A campaign of a programme: the domain's <see cref="Domain.Promotions.Campaign"/> kept whole as JSON. Campaigns have
/// their own table rather than a place in the programme row; every change to one raises the programme's configuration
/// version, so compiled terms stay one per version on every node.
/// </summary>
public sealed class CampaignRecord
{
    public Guid ProgrammeId { get; set; }
    /// <summary>The campaign's id, unique in the programme.</summary>
    public required string Id { get; set; }
    public required Domain.Promotions.Campaign Definition { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
}

/// <summary>A stamp card of a programme: the domain's <see cref="Domain.Promotions.StampCardDefinition"/> as JSON, versioned like campaigns.</summary>
public sealed class StampCardRecord
{
    public Guid ProgrammeId { get; set; }
    public required string Id { get; set; }
    public required Domain.Promotions.StampCardDefinition Definition { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
}

/// <summary>A coupon code of a campaign: generic, one of a unique batch, or personal (bound to <see cref="MemberId"/>).</summary>
public sealed class CouponCode
{
    public Guid ProgrammeId { get; set; }
    /// <summary>The code, normalised (see <see cref="Domain.Promotions.CouponCodes.Normalise"/>).</summary>
    public required string Code { get; set; }
    public required string CampaignId { get; set; }
    /// <summary>For a personal code: its member.</summary>
    public Guid? MemberId { get; set; }
    /// <summary>Uses so far; raised only by a guarded update that checks the campaign's limit per code.</summary>
    public int Uses { get; set; }
    /// <summary>A personal code that applies to its member's next purchase without being presented (a stamp card's free item).</summary>
    public bool ApplyWithoutPresenting { get; set; }
    public DateTime CreatedAt { get; set; }
}

/// <summary>What a campaign has given so far, raised by guarded updates that check its budget.</summary>
public sealed class CampaignUsageRecord
{
    public Guid ProgrammeId { get; set; }
    public required string CampaignId { get; set; }
    public long Uses { get; set; }
    /// <summary>Discount given, in minor units of the programme currency.</summary>
    public long MoneySpentMinor { get; set; }
    public long PointsSpent { get; set; }
}

/// <summary>
/// Refused coupon codes counted in one time window for one caller (an API key, a client address or a member), shared by
/// every server node. The caller is kept as a hash, never in clear.
/// </summary>
public sealed class CodeAttempt
{
    /// <summary>The first 16 bytes of the SHA-256 of the caller's partition ("key|…", "ip|…", "member|…").</summary>
    public required byte[] Partition { get; set; }
    /// <summary>The start of the window (UTC).</summary>
    public DateTime WindowStart { get; set; }
    /// <summary>Refused codes in the window.</summary>
    public int Failures { get; set; }
}

/// <summary>How often one member has used one campaign.</summary>
public sealed class CampaignMemberUse
{
    public Guid ProgrammeId { get; set; }
    public Guid MemberId { get; set; }
    public required string CampaignId { get; set; }
    public int Uses { get; set; }
}

/// <summary>One campaign applied to one purchase: what it gave and what returns gave back of it.</summary>
public sealed class CouponRedemption
{
    public long Id { get; set; }
    public Guid ProgrammeId { get; set; }
    public Guid PurchaseId { get; set; }
    public Guid? MemberId { get; set; }
    public required string CampaignId { get; set; }
    public string? Code { get; set; }
    /// <summary>The pricing step of the purchase's decision it belongs to.</summary>
    public int Step { get; set; }
    public long DiscountMinor { get; set; }
    public long Points { get; set; }
    /// <summary>Discount given back or clawed back by returns so far, in minor units.</summary>
    public long ReturnedMinor { get; set; }
    /// <summary>The code became usable again after the whole purchase came back.</summary>
    public bool Released { get; set; }
    public DateTime RedeemedAt { get; set; }
}

/// <summary>
/// The promotions of one purchase, kept for its returns: the basket as the till sent it (before pricing), the pricing
/// steps, and the stamps each card collected.
/// </summary>
public sealed class PurchasePromotion
{
    public Guid PurchaseId { get; set; }
    public Guid ProgrammeId { get; set; }
    public Guid? MemberId { get; set; }
    public List<Domain.Earning.BasketLine> Original { get; set; } = [];
    public List<Domain.Promotions.PricingStep> Steps { get; set; } = [];
    /// <summary>Stamps collected per card id.</summary>
    public Dictionary<string, int> Stamps { get; set; } = [];
}

/// <summary>A member's stamp card: its state as the domain's <see cref="Domain.Promotions.StampCardState"/>, written under a version guard.</summary>
public sealed class MemberStampCard
{
    public Guid ProgrammeId { get; set; }
    public Guid MemberId { get; set; }
    public required string CardId { get; set; }
    public required Domain.Promotions.StampCardState State { get; set; }
    /// <summary>Grows by one with every write; a write that finds another version is stale.</summary>
    public int Version { get; set; }
    public DateTime UpdatedAt { get; set; }
}
