using Treue.Domain.Earning;
using Treue.Domain.Programmes;

namespace Treue.Server.Features.Programmes;

/// <summary>
/// A whole programme declared as data: the format of <c>treue programme apply FILE</c> and of
/// <c>PUT /api/v1/programme</c>. Applying the same document twice changes nothing.
/// </summary>
public sealed record ProgrammeDocument
{
    public required string Code { get; init; }
    public required string Name { get; init; }
    public required string Currency { get; init; }
    /// <summary>IANA time zone in which weekday and date conditions are evaluated.</summary>
    public string TimeZone { get; init; } = "UTC";
    /// <summary>Money value of one point when paying with points.</summary>
    public decimal PointValue { get; init; } = 0.01m;
    /// <summary>Points per currency unit on every purchase line.</summary>
    public decimal BaseRate { get; init; } = 1m;
    public RoundingPolicy Rounding { get; init; } = RoundingPolicy.Down;
    /// <summary>Days earned points stay pending (the return window). 0 makes them available at once.</summary>
    public int PendingDays { get; init; }
    public ExpiryPolicy Expiry { get; init; } = ExpiryPolicy.Never;
    public PayWithPointsPolicy PayWithPoints { get; init; } = new();
    public IReadOnlyList<PartnerDocument> Partners { get; init; } = [];
    public IReadOnlyList<EarningRule> Rules { get; init; } = [];
    public IReadOnlyList<RewardDocument> Rewards { get; init; } = [];
}

/// <summary>A partner merchant and its stores.</summary>
public sealed record PartnerDocument(string Code, string Name, IReadOnlyList<StoreDocument>? Stores = null);

/// <summary>A store of a partner.</summary>
public sealed record StoreDocument(string Code, string Name);

/// <summary>A catalogue item: its points price, optional co-payment, stock and validity.</summary>
public sealed record RewardDocument(
    string Code, string Name, long Points,
    decimal CoPayment = 0, long? Stock = null, string? Description = null, string? ImageUrl = null,
    DateTimeOffset? ValidFrom = null, DateTimeOffset? ValidTo = null);
