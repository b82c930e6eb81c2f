using Microsoft.EntityFrameworkCore;
using Treue.Domain;
using Treue.Domain.Tiers;
using Treue.Storage.Entities;

namespace Treue.Storage.Purchases;

/// <summary>A member's tier as loaded: the domain's snapshot and the row version its write is guarded by (0: no row yet).</summary>
/// <param name="Snapshot">The standing and the qualifying entries of the windows in question.</param>
/// <param name="Version">The standing row's version, 0 when the member has none yet.</param>
public sealed record TierLoad(TierSnapshot Snapshot, int Version);

/// <summary>
/// What an act writes of a member's tier in its own transaction: a qualifying entry (status points are kept here, apart from
/// the ledger's spendable points), and a change of standing with its history entry, under the version it was decided on.
/// </summary>
/// <param name="ProgrammeId">The programme.</param>
/// <param name="MemberId">The member.</param>
/// <param name="PurchaseId">The purchase the entry belongs to.</param>
/// <param name="Entry">The qualifying entry, or null.</param>
/// <param name="Changes">Changes of standing in order; the last standing is kept, each entry goes into the history.</param>
/// <param name="Version">The version the changes were decided on (0: no row yet).</param>
/// <param name="At">When it is written.</param>
/// <param name="Actor">Who made a change by hand, if anyone.</param>
public sealed record TierWrite(Guid ProgrammeId, Guid MemberId, Guid? PurchaseId, QualifyingEntry? Entry, IReadOnlyList<TierChange> Changes, int Version,
    DateTime At, string? Actor = null);

/// <summary>Reads and writes members' tiers; the purchase recorder, returns, the review and staff all go through it.</summary>
public static class TierStore
{
    /// <summary>
    /// The member's standing and their qualifying entries from the earliest day any decision on <paramref name="day"/>
    /// counts (the rolling window, or the calendar year before, which a review of a period ending then reads). A member
    /// without a standing yet stands at the lowest level from the day they enrolled.
    /// </summary>
    public static async Task<TierLoad> LoadAsync(TreueDb db, TierScheme scheme, Guid programmeId, Guid memberId, DateTime enrolledAtUtc, DateOnly day,
        CancellationToken ct)
    {
        var row = await db.MemberTiers.AsNoTracking().SingleOrDefaultAsync(t => t.ProgrammeId == programmeId && t.MemberId == memberId, ct);
        var standing = row?.ToStanding() ?? TierRules.Enrol(scheme, enrolledAtUtc).Standing;
        var activity = await ActivityAsync(db, scheme, programmeId, memberId, Earliest(scheme, standing, day), ct);
        return new TierLoad(new TierSnapshot(standing, activity), row?.Version ?? 0);
    }

    /// <summary>The first day whose entries a decision on <paramref name="day"/> may count, with a day's margin for time zones.</summary>
    public static DateOnly Earliest(TierScheme scheme, TierStanding standing, DateOnly day)
    {
        var from = scheme.Period == QualificationPeriod.CalendarYear ? new DateOnly(day.Year - 1, 1, 1) : day.AddDays(-scheme.WindowDays);
        // A review of a period that ended long ago counts that period's window.
        var review = scheme.Period == QualificationPeriod.CalendarYear
            ? new DateOnly(standing.HeldUntil.Year, 1, 1)
            : standing.HeldUntil.AddDays(scheme.GraceDays - scheme.WindowDays);
        return (review < from ? review : from).AddDays(-1);
    }

    /// <summary>The member's qualifying entries from <paramref name="from"/> on.</summary>
    public static async Task<List<QualifyingEntry>> ActivityAsync(TreueDb db, TierScheme scheme, Guid programmeId, Guid memberId, DateOnly from,
        CancellationToken ct)
    {
        var since = from.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
        var currency = await db.Programmes.AsNoTracking().Where(p => p.Id == programmeId).Select(p => p.Currency).SingleAsync(ct);
        var c = Currency.Find(currency)!;
        var rows = await db.TierActivity.AsNoTracking()
            .Where(a => a.ProgrammeId == programmeId && a.MemberId == memberId && a.OccurredAt >= since)
            .OrderBy(a => a.Id)
            .Select(a => new { a.Reference, a.OccurredAt, a.StatusPoints, a.SpendMinor, a.Purchases })
            .ToListAsync(ct);
        return rows.Select(a => new QualifyingEntry(a.Reference, a.OccurredAt, a.StatusPoints, c.FromMinor(a.SpendMinor), a.Purchases)).ToList();
    }

    /// <summary>
    /// Writes the entry and the changes in the caller's transaction. False when the standing changed since it was loaded
    /// (another act of the member, on any node, wrote first): the caller's decision is stale and nothing may be kept.
    /// </summary>
    public static async Task<bool> WriteAsync(TreueDb db, TierWrite w, Currency currency, CancellationToken ct)
    {
        if (w.Changes.Count > 0)
        {
            var standing = w.Changes[^1].Standing;
            if (w.Version == 0)
            {
                // Purchases of a member are serialised by the guarded update of the member row; staff and the review insert
                // only under the same check, so a row found here was written since the load.
                if (await db.MemberTiers.AnyAsync(t => t.ProgrammeId == w.ProgrammeId && t.MemberId == w.MemberId, ct)) return false;
                var row = new MemberTier { ProgrammeId = w.ProgrammeId, MemberId = w.MemberId, Level = standing.Level, Version = 1, UpdatedAt = w.At };
                row.Set(standing);
                db.MemberTiers.Add(row);
            }
            else
            {
                var manual = standing.Manual;
                var undo = standing.Undo;
                var changed = await db.MemberTiers
                    .Where(t => t.ProgrammeId == w.ProgrammeId && t.MemberId == w.MemberId && t.Version == w.Version)
                    .ExecuteUpdateAsync(s => s
                        .SetProperty(t => t.Level, standing.Level)
                        .SetProperty(t => t.Since, standing.Since)
                        .SetProperty(t => t.HeldUntil, standing.HeldUntil)
                        .SetProperty(t => t.ManualLevel, manual == null ? null : manual.Level)
                        .SetProperty(t => t.ManualReason, manual == null ? null : manual.Reason)
                        .SetProperty(t => t.ManualUntil, manual == null ? null : manual.Until)
                        .SetProperty(t => t.Undo, undo)
                        .SetProperty(t => t.Version, t => t.Version + 1)
                        .SetProperty(t => t.UpdatedAt, w.At), ct);
                if (changed == 0) return false;
            }
            foreach (var change in w.Changes) db.TierHistory.Add(TierHistoryRecord.Of(w.ProgrammeId, w.MemberId, change.Entry, w.Actor));
        }
        if (w.Entry is { } e && w.PurchaseId is { } purchaseId)
        {
            db.TierActivity.Add(new TierActivity
            {
                ProgrammeId = w.ProgrammeId, MemberId = w.MemberId, PurchaseId = purchaseId, Reference = e.Reference, OccurredAt = e.OccurredAtUtc,
                StatusPoints = e.StatusPoints, SpendMinor = currency.ToMinor(e.Spend), Purchases = e.Purchases,
            });
        }
        await db.SaveChangesAsync(ct);
        return true;
    }
}
