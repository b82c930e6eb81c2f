using Microsoft.EntityFrameworkCore;
using Treue.Storage;
using Treue.Storage.Entities;

namespace Treue.Server.Features.Privacy;

/// <summary>A member's consent to one purpose as it stands now.</summary>
/// <param name="Purpose">The purpose.</param>
/// <param name="Granted">Whether the purpose may be pursued now: the latest record granted it and no later objection stops it.</param>
/// <param name="At">When the latest grant or withdrawal was recorded; null when the member was never asked.</param>
/// <param name="Source">Where that record was made.</param>
/// <param name="TextVersion">The consent text's version that record refers to.</param>
public sealed record ConsentView(ConsentPurpose Purpose, bool Granted, DateTime? At, ConsentSource? Source, string? TextVersion);

/// <summary>One grant, withdrawal or objection.</summary>
public sealed record ConsentRecordView(long Id, ConsentPurpose? Purpose, ConsentChange Change, ConsentSource Source, DateTime At, string TextVersion,
    string RecordedBy);

/// <summary>A member's consents: the state of each purpose, the standing objection, and every record they derive from.</summary>
/// <param name="MemberId">The member.</param>
/// <param name="Consents">Each purpose's state.</param>
/// <param name="ObjectedAt">When the member objected to direct marketing (Art. 21), if the objection stands: no marketing
/// message and no profiling for offers until the member grants the purpose again.</param>
/// <param name="History">Every record, newest first.</param>
public sealed record ConsentsView(Guid MemberId, IReadOnlyList<ConsentView> Consents, DateTime? ObjectedAt, IReadOnlyList<ConsentRecordView> History)
{
    /// <summary>Whether the member's state allows <paramref name="purpose"/> now.</summary>
    public bool Allows(ConsentPurpose purpose) => Consents.Any(c => c.Purpose == purpose && c.Granted);
}

/// <summary>
/// Consents per purpose and objections (GDPR Art. 6(1)(a), 7 and 21). Every change is a new record; the state is derived
/// from the records, so the history is the proof of consent. The card, points and rewards never look at consents
/// (Art. 7(4)): only marketing, profiling and sharing with partners do.
/// </summary>
public static class Consents
{
    /// <summary>The purposes in the order they are shown.</summary>
    public static readonly IReadOnlyList<ConsentPurpose> Purposes = [ConsentPurpose.EmailMarketing, ConsentPurpose.Profiling, ConsentPurpose.PartnerSharing];

    /// <summary>Whether an objection to direct marketing stops a purpose: marketing and the profiling for offers do; sharing is consent alone.</summary>
    public static bool StoppedByObjection(ConsentPurpose purpose) => purpose is ConsentPurpose.EmailMarketing or ConsentPurpose.Profiling;

    /// <summary>The state of each purpose from a member's records in the order they were written.</summary>
    public static (IReadOnlyList<ConsentView> Consents, DateTime? ObjectedAt) Derive(IReadOnlyList<ConsentRecord> records)
    {
        var objection = records.Where(r => r.Change == ConsentChange.Objected).MaxBy(r => r.Id);
        var views = new List<ConsentView>();
        var objectionStands = false;
        foreach (var purpose in Purposes)
        {
            var last = records.Where(r => r.Purpose == purpose && r.Change is ConsentChange.Granted or ConsentChange.Withdrawn).MaxBy(r => r.Id);
            var granted = last is { Change: ConsentChange.Granted };
            // An objection takes effect at once; a grant the member gives after it is their new choice for that purpose.
            if (objection is not null && StoppedByObjection(purpose) && (last is null || last.Id < objection.Id))
            {
                granted = false;
                objectionStands = true;
            }
            views.Add(new ConsentView(purpose, granted, last?.At, last?.Source, last?.TextVersion));
        }
        return (views, objectionStands ? objection!.At : null);
    }

    /// <summary>A member's consents, or null when the programme has no such member.</summary>
    public static async Task<ConsentsView?> LoadAsync(TreueDb db, Guid programmeId, Guid memberId, CancellationToken ct)
    {
        if (!await db.Members.AnyAsync(m => m.Id == memberId && m.ProgrammeId == programmeId, ct)) return null;
        var records = await db.ConsentRecords.AsNoTracking().Where(r => r.MemberId == memberId && r.ProgrammeId == programmeId)
            .OrderBy(r => r.Id).ToListAsync(ct);
        var (consents, objectedAt) = Derive(records);
        return new ConsentsView(memberId, consents, objectedAt, records.OrderByDescending(r => r.Id).Select(View).ToList());
    }

    /// <summary>A record as the API shows it.</summary>
    public static ConsentRecordView View(ConsentRecord r) => new(r.Id, r.Purpose, r.Change, r.Source, r.At, r.TextVersion, r.RecordedBy);

    /// <summary>The outcome of recording a change.</summary>
    public enum Outcome { Recorded, MemberNotFound, MemberClosed }

    /// <summary>
    /// Records a grant or withdrawal (<paramref name="purpose"/> set) or an objection (<paramref name="purpose"/> null). The
    /// API, the console and the portal all record through here.
    /// </summary>
    public static async Task<(Outcome Outcome, ConsentsView? View)> RecordAsync(TreueDb db, Guid programmeId, Guid memberId, ConsentPurpose? purpose,
        ConsentChange change, ConsentSource source, string? textVersion, string recordedBy, DateTime now, CancellationToken ct)
    {
        var status = await db.Members.Where(m => m.Id == memberId && m.ProgrammeId == programmeId).Select(m => (MemberStatus?)m.Status).SingleOrDefaultAsync(ct);
        if (status is null) return (Outcome.MemberNotFound, null);
        if (status == MemberStatus.Closed) return (Outcome.MemberClosed, null);
        var version = textVersion ?? (await PrivacySettingsStore.GetAsync(db, programmeId, ct)).ConsentTextVersion;
        db.ConsentRecords.Add(new ConsentRecord
        {
            ProgrammeId = programmeId, MemberId = memberId, Purpose = change == ConsentChange.Objected ? null : purpose, Change = change,
            Source = source, At = now, TextVersion = version, RecordedBy = recordedBy.Length > 320 ? recordedBy[..320] : recordedBy,
        });
        await db.SaveChangesAsync(ct);
        return (Outcome.Recorded, await LoadAsync(db, programmeId, memberId, ct));
    }

    /// <summary>The members of a programme whose state allows <paramref name="purpose"/> now.</summary>
    public static async Task<HashSet<Guid>> MembersAllowingAsync(TreueDb db, Guid programmeId, ConsentPurpose purpose, CancellationToken ct)
    {
        var records = await db.ConsentRecords.AsNoTracking()
            .Where(r => r.ProgrammeId == programmeId && (r.Purpose == purpose || r.Change == ConsentChange.Objected))
            .OrderBy(r => r.Id).ToListAsync(ct);
        return records.GroupBy(r => r.MemberId).Where(g => Derive(g.ToList()).Consents.Any(c => c.Purpose == purpose && c.Granted))
            .Select(g => g.Key).ToHashSet();
    }
}

/// <summary>A programme's privacy settings, with the defaults for a programme that never set them.</summary>
public static class PrivacySettingsStore
{
    /// <summary>The settings of a programme (not tracked).</summary>
    public static async Task<PrivacySettings> GetAsync(TreueDb db, Guid programmeId, CancellationToken ct) =>
        await db.PrivacySettings.AsNoTracking().SingleOrDefaultAsync(s => s.ProgrammeId == programmeId, ct)
        ?? new PrivacySettings { ProgrammeId = programmeId };
}
