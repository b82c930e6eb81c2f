using Treue.Domain.Earning;
using Treue.Storage.Entities;

namespace Treue.Server.Features.Purchases;

/// <summary>A receipt from a till or a web shop.</summary>
/// <param name="ReceiptId">The partner's own id of the receipt; the same receipt id twice is one purchase.</param>
/// <param name="Partner">Code of the partner selling.</param>
/// <param name="Store">Code of the store, if any.</param>
/// <param name="Channel">store, online or app.</param>
/// <param name="Currency">ISO currency code; must be the programme's.</param>
/// <param name="Total">The receipt total; must equal the sum of the lines' net amounts.</param>
/// <param name="Lines">The receipt lines.</param>
/// <param name="CardNumber">The card shown (number or QR token), or null.</param>
/// <param name="MemberId">The member, when identified without a card (web shop log-in).</param>
/// <param name="Anonymous">True to record a purchase without a member (for member/non-member comparisons).</param>
/// <param name="OccurredAt">When the purchase happened; defaults to now.</param>
/// <param name="PointsPayment">Points used to pay for part of the purchase.</param>
/// <param name="Codes">Coupon codes the customer presents; each must apply, or the purchase is refused naming <c>codes[i]</c>.</param>
/// <param name="TillTotal">The total after discounts as the till computed it, if it sends one: a different total than Treue's is
/// refused with both totals, never silently replaced by either.</param>
public sealed record PurchaseRequest(
    string ReceiptId, string Partner, string Currency, decimal Total, IReadOnlyList<PurchaseLineRequest> Lines,
    string? Store = null, Channel Channel = Channel.Store, string? CardNumber = null, Guid? MemberId = null, bool Anonymous = false,
    DateTimeOffset? OccurredAt = null, PointsPaymentRequest? PointsPayment = null, IReadOnlyList<string>? Codes = null, decimal? TillTotal = null);

/// <summary>A basket to quote: a purchase without a receipt id (one may be given; it is ignored).</summary>
public sealed record QuoteRequest(
    string Partner, string Currency, decimal Total, IReadOnlyList<PurchaseLineRequest> Lines,
    string? ReceiptId = null, string? Store = null, Channel Channel = Channel.Store, string? CardNumber = null, Guid? MemberId = null,
    bool Anonymous = false, DateTimeOffset? OccurredAt = null, PointsPaymentRequest? PointsPayment = null, IReadOnlyList<string>? Codes = null,
    decimal? TillTotal = null)
{
    /// <summary>The purchase this basket would be.</summary>
    public PurchaseRequest ToPurchase() => new(ReceiptId ?? "quote", Partner, Currency, Total, Lines, Store, Channel, CardNumber, MemberId, Anonymous, OccurredAt, PointsPayment,
        Codes, TillTotal);
}

/// <summary>One receipt line.</summary>
public sealed record PurchaseLineRequest(string Sku, decimal Quantity, decimal UnitPrice, string? Category = null, decimal Discount = 0);

/// <summary>Points to pay with.</summary>
public sealed record PointsPaymentRequest(long Points);

/// <summary>What a basket would earn (and what its points payment would be worth). Nothing is written.</summary>
public sealed record QuoteView(string Currency, decimal Total, long Points, IReadOnlyList<LineEarning> Lines, IReadOnlyList<Contribution> Bonuses,
    long PointsPaid, decimal PointsDiscount, decimal AmountDue, IReadOnlyList<string> RulesApplied)
{
    /// <summary>The promotions that applied, step by step (empty when none did).</summary>
    public IReadOnlyList<PromotionStepView> Promotions { get; init; } = [];

    /// <summary>The discount of all promotions; <see cref="Total"/> is after it.</summary>
    public decimal Discount { get; init; }

    /// <summary>The lines as priced: each line's discount includes the promotions'.</summary>
    public IReadOnlyList<PricedLineView> PricedLines { get; init; } = [];
}

/// <summary>One basket line after pricing.</summary>
public sealed record PricedLineView(int LineNo, string Sku, decimal Quantity, decimal UnitPrice, decimal Discount, decimal Net);

/// <summary>The discount one promotion step put on one line.</summary>
public sealed record PromotionLineView(int LineNo, decimal Before, decimal Discount, int Units);

/// <summary>One campaign applied to a purchase, in the order the campaigns applied.</summary>
/// <param name="Step">The step's number, from 1.</param>
/// <param name="CampaignId">The campaign.</param>
/// <param name="Name">Its name.</param>
/// <param name="Code">The code that brought it, or null for an automatic campaign.</param>
/// <param name="Discount">Its discount in all.</param>
/// <param name="Applications">How often it applied (bundles formed, buy-X-get-Y runs).</param>
/// <param name="Lines">The lines it discounted.</param>
/// <param name="Gifts">Articles handed over free that were not in the basket.</param>
public sealed record PromotionStepView(int Step, string CampaignId, string Name, string? Code, decimal Discount, int Applications,
    IReadOnlyList<PromotionLineView> Lines, IReadOnlyList<string> Gifts)
{
    /// <summary>The view of a pricing step.</summary>
    public static PromotionStepView Of(Domain.Promotions.PricingStep s) => new(s.Step, s.CampaignId, s.Name, s.Code, s.Discount, s.Applications,
        s.Lines.Select(l => new PromotionLineView(l.LineNo, l.Before, l.Discount, l.Units)).ToList(), s.Gifts);
}

public sealed record PurchaseLineView(int LineNo, string Sku, string? Category, decimal Quantity, decimal UnitPrice, decimal Discount, decimal Net,
    long Points, IReadOnlyList<Contribution> Contributions, decimal ReturnedQuantity, long PointsReversed);

public sealed record BalanceSnapshot(long Available, long Pending);

public sealed record PurchaseView(
    Guid Id, string ReceiptId, Guid? MemberId, string? CardNumber, string Partner, string? Store, Channel Channel, DateTime OccurredAt,
    string Currency, decimal Total, long PointsEarned, string PointsStatus, DateTime? PointsAvailableAt, long PointsPaid, decimal PointsDiscount,
    decimal AmountDue, decimal Returned, long PointsReversed, long PaidPointsRefunded,
    IReadOnlyList<PurchaseLineView> Lines, IReadOnlyList<Contribution> Bonuses, BalanceSnapshot? Balance)
{
    /// <summary>The promotions that applied, step by step (empty when none did).</summary>
    public IReadOnlyList<PromotionStepView> Promotions { get; init; } = [];

    /// <summary>The discount of all promotions; <see cref="Total"/> is after it.</summary>
    public decimal Discount => Promotions.Sum(p => p.Discount);
}

/// <summary>A return of some or all lines of a purchase.</summary>
/// <param name="ReturnId">The partner's id of the return; the same return id twice is one return.</param>
/// <param name="Lines">The lines and quantities returned.</param>
/// <param name="OccurredAt">When the goods came back; defaults to now.</param>
public sealed record ReturnRequest(string ReturnId, IReadOnlyList<ReturnLineRequest> Lines, DateTimeOffset? OccurredAt = null);

/// <summary>Units of one line returned.</summary>
public sealed record ReturnLineRequest(int LineNo, decimal Quantity);

public sealed record ReturnView(Guid Id, Guid PurchaseId, string ReturnId, DateTime OccurredAt, decimal Value, long PointsReversed,
    long PointsUnrecovered, long PaidPointsRefunded, IReadOnlyList<ReturnedLineView> Lines, BalanceSnapshot? Balance);

/// <summary>One returned line: units, their value and the points taken back.</summary>
public sealed record ReturnedLineView(int LineNo, decimal Quantity, decimal Value, long PointsReversed);
