using Treue.Domain.Triggers;

namespace Treue.Storage.Entities;

// Gifts at the right moment (see docs/triggers.md): the programme's triggers, one firing record per trigger, member and
// occasion under a unique key, and the outbox of messages to members. Each in its own table, keyed by programme and member.

/// <summary>A trigger of a programme: its definition as JSON, whether it runs, and how far the scheduler has checked it.</summary>
public sealed class TriggerRecord
{
    public Guid ProgrammeId { get; set; }
    /// <summary>The trigger's id, the first part of every occasion key.</summary>
    public required string Id { get; set; }
    public required string Name { get; set; }
    public required TriggerDefinition Definition { get; set; }
    public bool Active { get; set; }
    /// <summary>
    /// The last day (programme time zone) every occasion of which the scheduler has seen; a run lists the days after it
    /// up to today. Null until the first run, which starts on the day the trigger was created.
    /// </summary>
    public DateOnly? CheckedThrough { get; set; }
    /// <summary>Firings so far; raised by one guarded update in every firing's transaction, which also serialises the firings of a trigger across nodes.</summary>
    public long Firings { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
}

/// <summary>
/// One firing of a trigger for a member and an occasion. The unique index on (programme, trigger, member, occasion) makes
/// each occasion fire once, however often and on however many nodes the scheduler runs; the row is written in the same
/// transaction as the points, the coupon or the message.
/// </summary>
public sealed class TriggerFiring
{
    public long Id { get; set; }
    public Guid ProgrammeId { get; set; }
    public required string TriggerId { get; set; }
    public Guid MemberId { get; set; }
    /// <summary>The occasion, unique for the trigger and member (<c>birthday:2026</c>, <c>purchase:10</c>).</summary>
    public required string Occasion { get; set; }
    /// <summary>The day the occasion was due (programme time zone).</summary>
    public DateOnly Day { get; set; }
    /// <summary>The budget period the firing counts in (<c>2026-03</c>, <c>2026</c>).</summary>
    public required string Period { get; set; }
    public long Points { get; set; }
    public long? LedgerTransactionId { get; set; }
    public string? CouponCode { get; set; }
    public long? OutboxMessageId { get; set; }
    public DateTime FiredAt { get; set; }
}

/// <summary>The states of an outbox message.</summary>
public enum OutboxState
{
    /// <summary>Waiting to be delivered (again, from <see cref="OutboxMessage.NextAttemptAt"/>).</summary>
    Queued,
    /// <summary>Delivered.</summary>
    Sent,
    /// <summary>Given up after the last attempt; <see cref="OutboxMessage.Reason"/> says why.</summary>
    Failed,
    /// <summary>Delivered but returned by the receiving side.</summary>
    Bounced,
}

/// <summary>
/// A message to a member, queued in the same transaction as the act that causes it and delivered later by a sender that
/// moves it through its states. The template and language pick the text; the data fills it in.
/// </summary>
public sealed class OutboxMessage
{
    public long Id { get; set; }
    public Guid ProgrammeId { get; set; }
    public Guid? MemberId { get; set; }
    /// <summary>The template's key (<c>birthday</c>, <c>win_back</c>).</summary>
    public required string Template { get; set; }
    /// <summary>The language to write in (<c>en</c>, <c>de</c>): the member's.</summary>
    public required string Language { get; set; }
    /// <summary>The template's data as a JSON object of strings.</summary>
    public required string Data { get; set; }
    /// <summary>What queued it (<c>trigger:birthday</c>).</summary>
    public string? Source { get; set; }
    public OutboxState State { get; set; }
    /// <summary>Why the last attempt failed or the message bounced.</summary>
    public string? Reason { get; set; }
    public int Attempts { get; set; }
    /// <summary>When a sender may try it (again); null once it is no longer queued.</summary>
    public DateTime? NextAttemptAt { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? SentAt { get; set; }
}
