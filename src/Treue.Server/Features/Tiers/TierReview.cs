using Microsoft.EntityFrameworkCore;
using Treue.Domain.Tiers;
using Treue.Server.Features.Ledger;
using Treue.Server.Infrastructure;
using Treue.Storage;
using Treue.Storage.Purchases;

namespace Treue.Server.Features.Tiers;

/// <summary>
/// The review at the end of each qualification period: members whose period and grace days have passed keep their level
/// for another period or fall (by at most the configured levels), and levels set by hand end after their end date. Run on
/// the injected clock by <see cref="TierJobs"/>, on every node: each member's change is written under the standing's
/// version, so a member is reviewed once however many nodes run it, and a run finds nothing left to do a second time.
/// </summary>
public static class TierReview
{
    /// <summary>Reviews every programme with tiers; returns the number of history rows written.</summary>
    public static async Task<int> RunAsync(TreueDb db, DateTime nowUtc, CancellationToken ct)
    {
        var programmes = await db.Programmes.AsNoTracking().Where(p => p.Tiers != null).Select(p => p.Id).ToListAsync(ct);
        var written = 0;
        foreach (var programmeId in programmes)
        {
            if (await TierService.SchemeAsync(db, programmeId, ct) is { } scheme) written += await RunAsync(db, scheme, programmeId, nowUtc, ct);
        }
        return written;
    }

    /// <summary>Reviews one programme's members whose period (with grace) or manual level has ended by today.</summary>
    public static async Task<int> RunAsync(TreueDb db, TierScheme scheme, Guid programmeId, DateTime nowUtc, CancellationToken ct)
    {
        var today = scheme.LocalDay(nowUtc);
        var periodEnded = today.AddDays(-scheme.GraceDays - 1);
        var lowest = scheme.Levels[0].Code;
        // One pass: a member's review catches up period by period, so nothing is left due for them afterwards. A member whose
        // write lost to another node was reviewed there.
        var due = await db.MemberTiers.AsNoTracking()
            .Where(t => t.ProgrammeId == programmeId && ((t.HeldUntil <= periodEnded && t.Level != lowest) || t.ManualUntil < today))
            .Select(t => t.MemberId).ToListAsync(ct);
        var written = 0;
        foreach (var memberId in due) written += Math.Max(await ReviewMemberAsync(db, scheme, programmeId, memberId, today, nowUtc, ct), 0);
        return written;
    }

    /// <summary>One member's review in its own transaction: the number of history rows written, 0 when nothing was due, -1 when another writer came first.</summary>
    private static async Task<int> ReviewMemberAsync(TreueDb db, TierScheme scheme, Guid programmeId, Guid memberId, DateOnly today, DateTime nowUtc, CancellationToken ct)
    {
        await using var work = await Work.BeginAsync(db, ct);
        var load = await TierStore.LoadAsync(db, scheme, programmeId, memberId, nowUtc, today, ct);
        var standing = load.Snapshot.Standing;
        var changes = new List<TierChange>(TierRules.Review(scheme, standing, load.Snapshot.Activity, today, nowUtc));
        if (changes.Count > 0) standing = changes[^1].Standing;
        if (TierRules.EndManual(standing, today, nowUtc) is { } ended) changes.Add(ended);
        if (changes.Count == 0) return 0;
        if (!await TierStore.WriteAsync(db, new TierWrite(programmeId, memberId, null, null, changes, load.Version, nowUtc), Domain.Currency.Find("EUR")!, ct))
            return -1;
        await work.CommitAsync(ct);
        return changes.Count;
    }
}

/// <summary>Runs the tier review on every node at the ledger jobs' interval (<c>Treue:Jobs:Interval</c>; zero turns it off).</summary>
public sealed class TierJobs(IServiceScopeFactory scopes, TimeProvider clock, Microsoft.Extensions.Options.IOptions<LedgerJobOptions> options, ILogger<TierJobs> log)
    : Infrastructure.PeriodicJob(scopes, clock, log)
{
    protected override TimeSpan Interval => options.Value.Interval;
    protected override string Name => "The tier review";

    protected override Task RunAsync(IServiceProvider services, DateTime now, CancellationToken ct) =>
        TierReview.RunAsync(services.GetRequiredService<TreueDb>(), now, ct);
}
