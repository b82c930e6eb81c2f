using Treue.Domain.Tiers;

namespace Treue.Storage.Entities;

/// <summary>
/// A member's place in the programme's tiers: the qualified level with its period, a level staff set by hand, and what a
/// return can still undo. Written under a version guard in the transaction of the act that changes it.
/// </summary>
public sealed class MemberTier
{
    public Guid ProgrammeId { get; set; }
    public Guid MemberId { get; set; }
    public required string Level { get; set; }
    public DateOnly Since { get; set; }
    public DateOnly HeldUntil { get; set; }
    public string? ManualLevel { get; set; }
    public string? ManualReason { get; set; }
    public DateOnly? ManualUntil { get; set; }
    /// <summary>The last upgrade, while a return of its purchase can still undo it.</summary>
    public TierUndo? Undo { get; set; }
    /// <summary>Grows by one with every write; a write that finds another version is stale.</summary>
    public int Version { get; set; }
    public DateTime UpdatedAt { get; set; }

    /// <summary>The row as the domain's standing.</summary>
    public TierStanding ToStanding() => new(Level, Since, HeldUntil)
    {
        Manual = ManualLevel is { } level && ManualUntil is { } until ? new ManualTier(level, ManualReason ?? "", until) : null,
        Undo = Undo,
    };

    /// <summary>Copies a standing into the row.</summary>
    public void Set(TierStanding standing)
    {
        Level = standing.Level;
        Since = standing.Since;
        HeldUntil = standing.HeldUntil;
        ManualLevel = standing.Manual?.Level;
        ManualReason = standing.Manual?.Reason;
        ManualUntil = standing.Manual?.Until;
        Undo = standing.Undo;
    }
}

/// <summary>
/// What one purchase or return added to a member's qualifying measures. Status points live here, apart from the
/// spendable points of the ledger: they are never spent, only counted over the qualification period.
/// </summary>
public sealed class TierActivity
{
    public long Id { get; set; }
    public Guid ProgrammeId { get; set; }
    public Guid MemberId { get; set; }
    public Guid PurchaseId { get; set; }
    /// <summary>The purchase's receipt id, as the domain's entries name it.</summary>
    public required string Reference { get; set; }
    public DateTime OccurredAt { get; set; }
    public long StatusPoints { get; set; }
    public long SpendMinor { get; set; }
    public int Purchases { get; set; }
}

/// <summary>One change of a member's tier, with its reason, kept for good.</summary>
public sealed class TierHistoryRecord
{
    public long Id { get; set; }
    public Guid ProgrammeId { get; set; }
    public Guid MemberId { get; set; }
    public DateTime At { get; set; }
    public string? FromLevel { get; set; }
    public required string ToLevel { get; set; }
    public TierChangeReason Reason { get; set; }
    /// <summary>Staff's reason for a level set by hand.</summary>
    public string? Note { get; set; }
    /// <summary>The purchase's receipt id that brought or undid the change.</summary>
    public string? Reference { get; set; }
    public DateOnly? Until { get; set; }
    /// <summary>Who made a change by hand (staff user or API key); null for changes the programme made.</summary>
    public string? Actor { get; set; }

    /// <summary>The record of a domain history entry.</summary>
    public static TierHistoryRecord Of(Guid programmeId, Guid memberId, TierHistoryEntry entry, string? actor) => new()
    {
        ProgrammeId = programmeId, MemberId = memberId, At = entry.AtUtc, FromLevel = entry.From, ToLevel = entry.To, Reason = entry.Reason,
        Note = entry.Note, Reference = entry.Reference, Until = entry.Until, Actor = actor,
    };
}
