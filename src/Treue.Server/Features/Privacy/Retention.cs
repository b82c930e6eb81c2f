using Microsoft.EntityFrameworkCore;
using Treue.Server.Features.Audit;
using Treue.Server.Features.Ledger;
using Treue.Storage;
using Treue.Storage.Entities;

namespace Treue.Server.Features.Privacy;

/// <summary>A member the retention rule acts on.</summary>
/// <param name="MemberId">The member.</param>
/// <param name="Name">Their name.</param>
/// <param name="LastActivityAt">Their last activity: enrolment, a purchase, a reward order, a portal sign-in or a consent they gave in the portal.</param>
/// <param name="WarnedAt">When they were warned; null for a member still to be warned.</param>
/// <param name="EraseAfter">When they are erased unless active again; null for a member still to be warned.</param>
public sealed record RetentionMember(Guid MemberId, string Name, DateTime LastActivityAt, DateTime? WarnedAt, DateTime? EraseAfter);

/// <summary>What the retention rule does now, or did.</summary>
/// <param name="Enabled">Whether the programme has a retention rule.</param>
/// <param name="InactiveDays">Days without activity after which a member is warned.</param>
/// <param name="WarningDays">Days from the warning to the erasure.</param>
/// <param name="AsOf">The time the rule was applied at (UTC).</param>
/// <param name="DryRun">True for a preview that changed nothing.</param>
/// <param name="Warn">Members to warn (or warned by this run).</param>
/// <param name="Erase">Members to erase (or erased by this run).</param>
/// <param name="Waiting">Members warned before whose warning period has not passed.</param>
public sealed record RetentionRun(bool Enabled, int? InactiveDays, int WarningDays, DateTime AsOf, bool DryRun, IReadOnlyList<RetentionMember> Warn,
    IReadOnlyList<RetentionMember> Erase, IReadOnlyList<RetentionMember> Waiting);

/// <summary>
/// The retention rule (GDPR Art. 5(1)(e), storage limitation): a member inactive for the programme's period is warned, and
/// erased through <see cref="MemberData.EraseAsync"/> when the warning period passes without activity. A warning is a row
/// of <c>retention_warnings</c>, which is also the outbox of the warning message. Running it twice at the same time
/// does nothing the second time; activity after a warning voids it.
/// </summary>
public static class Retention
{
    /// <summary>The actor the erasures are recorded under.</summary>
    public static readonly AuditActor Actor = new(AuditActorKind.System, null, "retention", null);

    /// <summary>Applies the rule at <paramref name="now"/>, or with <paramref name="dryRun"/> only says what it would do.</summary>
    public static async Task<RetentionRun> RunAsync(TreueDb db, Guid programmeId, DateTime now, bool dryRun, CancellationToken ct)
    {
        var settings = await PrivacySettingsStore.GetAsync(db, programmeId, ct);
        if (settings.InactiveDays is not { } inactiveDays)
            return new RetentionRun(false, null, settings.WarningDays, now, dryRun, [], [], []);
        var (warn, erase, waiting) = await PlanAsync(db, programmeId, now, inactiveDays, settings.WarningDays, ct);
        if (dryRun) return new RetentionRun(true, inactiveDays, settings.WarningDays, now, true, warn, erase, waiting);

        var warned = new List<RetentionMember>();
        foreach (var m in warn)
        {
            var eraseAfter = now.AddDays(settings.WarningDays);
            db.RetentionWarnings.Add(new RetentionWarning { ProgrammeId = programmeId, MemberId = m.MemberId, WarnedAt = now, LastActivityAt = m.LastActivityAt, EraseAfter = eraseAfter });
            warned.Add(m with { WarnedAt = now, EraseAfter = eraseAfter });
        }
        await db.SaveChangesAsync(ct);
        var erased = new List<RetentionMember>();
        foreach (var m in erase)
        {
            var reason = $"retention: inactive since {m.LastActivityAt:yyyy-MM-dd}, warned {m.WarnedAt:yyyy-MM-dd}";
            var result = await MemberData.EraseAsync(db, programmeId, m.MemberId, Actor, reason, now, ct);
            if (result is null || result.AlreadyErased) continue;
            await db.RetentionWarnings.Where(w => w.ProgrammeId == programmeId && w.MemberId == m.MemberId && w.WarnedAt == m.WarnedAt)
                .ExecuteUpdateAsync(s => s.SetProperty(w => w.ErasedAt, now), ct);
            erased.Add(m with { Name = MemberData.ErasedName });
        }
        return new RetentionRun(true, inactiveDays, settings.WarningDays, now, false, warned, erased, waiting);
    }

    private static async Task<(List<RetentionMember> Warn, List<RetentionMember> Erase, List<RetentionMember> Waiting)> PlanAsync(TreueDb db, Guid programmeId,
        DateTime now, int inactiveDays, int warningDays, CancellationToken ct)
    {
        var erasedIds = (await db.AuditEntries.AsNoTracking().Where(e => e.ProgrammeId == programmeId && e.Action == AuditActions.MemberErased && e.MemberId != null)
            .Select(e => e.MemberId!.Value).ToListAsync(ct)).ToHashSet();
        var cutoff = now.AddDays(-inactiveDays);
        // Only members enrolled before the cut-off can be inactive that long; the rest need no look at their activity.
        var members = (await db.Members.AsNoTracking().Where(m => m.ProgrammeId == programmeId && m.EnrolledAt <= cutoff)
            .Select(m => new { m.Id, m.Name, m.EnrolledAt }).ToListAsync(ct)).Where(m => !erasedIds.Contains(m.Id)).ToList();
        if (members.Count == 0) return ([], [], []);
        var last = members.ToDictionary(m => m.Id, m => m.EnrolledAt);
        void Seen(Guid? id, DateTime at)
        {
            if (id is { } m && last.TryGetValue(m, out var known) && at > known) last[m] = at;
        }
        foreach (var p in await db.Purchases.AsNoTracking().Where(p => p.ProgrammeId == programmeId && p.MemberId != null)
                     .GroupBy(p => p.MemberId).Select(g => new { g.Key, At = g.Max(p => p.OccurredAt) }).ToListAsync(ct)) Seen(p.Key, p.At);
        foreach (var o in await db.RewardOrders.AsNoTracking().Where(o => o.ProgrammeId == programmeId)
                     .GroupBy(o => o.MemberId).Select(g => new { g.Key, At = g.Max(o => o.PlacedAt) }).ToListAsync(ct)) Seen(o.Key, o.At);
        foreach (var s in await db.WebSessions.AsNoTracking().Where(s => s.ProgrammeId == programmeId && s.Kind == SessionKind.Member)
                     .GroupBy(s => s.SubjectId).Select(g => new { g.Key, At = g.Max(s => s.CreatedAt) }).ToListAsync(ct)) Seen(s.Key, s.At);
        foreach (var c in await db.ConsentRecords.AsNoTracking().Where(c => c.ProgrammeId == programmeId && c.Source == ConsentSource.Portal)
                     .GroupBy(c => c.MemberId).Select(g => new { g.Key, At = g.Max(c => c.At) }).ToListAsync(ct)) Seen(c.Key, c.At);
        var warnings = (await db.RetentionWarnings.AsNoTracking().Where(w => w.ProgrammeId == programmeId && w.ErasedAt == null).ToListAsync(ct))
            .GroupBy(w => w.MemberId).ToDictionary(g => g.Key, g => g.MaxBy(w => w.WarnedAt)!);

        List<RetentionMember> warn = [], erase = [], waiting = [];
        foreach (var m in members.OrderBy(m => last[m.Id]).ThenBy(m => m.Id))
        {
            var lastActivity = last[m.Id];
            if (lastActivity > cutoff) continue;
            // A warning counts only while the member has not been active since it was written.
            if (warnings.TryGetValue(m.Id, out var w) && lastActivity <= w.WarnedAt)
                (now >= w.EraseAfter ? erase : waiting).Add(new RetentionMember(m.Id, m.Name, lastActivity, w.WarnedAt, w.EraseAfter));
            else
                warn.Add(new RetentionMember(m.Id, m.Name, lastActivity, null, null));
        }
        return (warn, erase, waiting);
    }
}

/// <summary>Applies every programme's retention rule at the interval of the ledger's jobs (<c>Treue:Jobs:Interval</c>; zero turns it off).</summary>
public sealed class RetentionJob(IServiceScopeFactory scopes, TimeProvider clock, Microsoft.Extensions.Options.IOptions<LedgerJobOptions> options,
    ILogger<RetentionJob> log) : Infrastructure.PeriodicJob(scopes, clock, log)
{
    protected override TimeSpan Interval => options.Value.Interval;
    protected override string Name => "The retention job";

    protected override async Task RunAsync(IServiceProvider services, DateTime now, CancellationToken ct)
    {
        var db = services.GetRequiredService<TreueDb>();
        var programmes = await db.PrivacySettings.AsNoTracking().Where(s => s.InactiveDays != null).Select(s => s.ProgrammeId).ToListAsync(ct);
        foreach (var id in programmes)
        {
            db.ChangeTracker.Clear();
            var run = await Retention.RunAsync(db, id, now, dryRun: false, ct);
            if (run.Warn.Count + run.Erase.Count > 0)
                log.LogInformation("Retention in {Programme}: {Warned} members warned, {Erased} erased", id, run.Warn.Count, run.Erase.Count);
        }
    }
}
