namespace Treue.Storage.Entities;

// Privacy (see docs/privacy.md): consents and objections as append-only records, data requests with their due dates,
// retention warnings, and each programme's privacy settings. Stored in their own tables, keyed by programme and member.

/// <summary>What a member may consent to, each on its own (GDPR Art. 6(1)(a), 7).</summary>
public enum ConsentPurpose { EmailMarketing, Profiling, PartnerSharing }

/// <summary>What a consent record says: consent given, consent withdrawn, or an objection to direct marketing (Art. 21).</summary>
public enum ConsentChange { Granted, Withdrawn, Objected }

/// <summary>Where a consent record was made.</summary>
public enum ConsentSource { Till, Portal, Console, Import }

/// <summary>
/// One grant, withdrawal or objection, never changed afterwards. A member's current consents are derived from these
/// records: the latest record per purpose counts, and an objection stops direct marketing until a later grant.
/// </summary>
public sealed class ConsentRecord
{
    public long Id { get; set; }
    public Guid ProgrammeId { get; set; }
    public Guid MemberId { get; set; }
    /// <summary>The purpose granted or withdrawn; null for an objection, which concerns all direct marketing.</summary>
    public ConsentPurpose? Purpose { get; set; }
    public ConsentChange Change { get; set; }
    public ConsentSource Source { get; set; }
    public DateTime At { get; set; }
    /// <summary>The version of the consent text the member saw, such as <c>2026-01</c>.</summary>
    public required string TextVersion { get; set; }
    /// <summary>Who recorded it: the staff user's e-mail, the API key's name, <c>member</c>.</summary>
    public required string RecordedBy { get; set; }
}

/// <summary>A data subject's request (GDPR Art. 15, 20 and 17).</summary>
public enum DataRequestKind { Access, Erasure }

/// <summary>
/// A request a member made to the programme, recorded by staff, answered within one month of its receipt
/// (Art. 12(3)). Completing it runs the export or the erasure.
/// </summary>
public sealed class DataRequest
{
    public Guid Id { get; set; }
    public Guid ProgrammeId { get; set; }
    public Guid MemberId { get; set; }
    public DataRequestKind Kind { get; set; }
    public DateTime ReceivedAt { get; set; }
    /// <summary>One calendar month after receipt, in the programme's time zone.</summary>
    public DateTime DueAt { get; set; }
    /// <summary>How the request came in and anything staff need to know; emptied when the member is erased.</summary>
    public string? Note { get; set; }
    public required string RecordedBy { get; set; }
    public DateTime? CompletedAt { get; set; }
    public string? CompletedBy { get; set; }
}

/// <summary>
/// A warning to an inactive member that their data will be erased, written by the retention job. It is also the
/// message's outbox row: <see cref="SentAt"/> stays empty until a mail sender delivers it.
/// </summary>
public sealed class RetentionWarning
{
    public long Id { get; set; }
    public Guid ProgrammeId { get; set; }
    public Guid MemberId { get; set; }
    public DateTime WarnedAt { get; set; }
    /// <summary>The member's last activity the warning was based on; activity after it voids the warning.</summary>
    public DateTime LastActivityAt { get; set; }
    /// <summary>When the member is erased unless they are active again.</summary>
    public DateTime EraseAfter { get; set; }
    public DateTime? SentAt { get; set; }
    /// <summary>When the retention job erased the member after this warning.</summary>
    public DateTime? ErasedAt { get; set; }
}

/// <summary>How analyses treat members who did not consent to profiling.</summary>
public enum UnconsentedAnalytics
{
    /// <summary>Left out of every analysis.</summary>
    Exclude,
    /// <summary>Counted in totals and segments' sizes, never shown or listed one by one.</summary>
    AggregateOnly,
}

/// <summary>A programme's privacy settings; a programme without a row has the defaults.</summary>
public sealed class PrivacySettings
{
    public Guid ProgrammeId { get; set; }
    /// <summary>Days without activity after which a member is warned; null: no retention rule.</summary>
    public int? InactiveDays { get; set; }
    /// <summary>Days between the warning and the erasure.</summary>
    public int WarningDays { get; set; } = 30;
    public UnconsentedAnalytics Analytics { get; set; } = UnconsentedAnalytics.AggregateOnly;
    /// <summary>The version of the consent texts currently shown to members.</summary>
    public string ConsentTextVersion { get; set; } = "1";
    public DateTime UpdatedAt { get; set; }
}
