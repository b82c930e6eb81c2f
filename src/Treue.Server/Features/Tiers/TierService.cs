using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Treue.Domain.Tiers;
using Treue.Server.Features.Audit;
using Treue.Server.Infrastructure;
using Treue.Storage;
using Treue.Storage.Entities;
using Treue.Storage.Purchases;

namespace Treue.Server.Features.Tiers;

/// <summary>
/// The programme's tier definition, as set through the API and the console. The time zone is the programme's own, so it
/// is not part of the request.
/// </summary>
/// <param name="Measure">What qualifies: status points, spend or purchases.</param>
/// <param name="Period">Over which days it is counted: a rolling window or the calendar year.</param>
/// <param name="Levels">The levels, lowest first; the first has threshold 0.</param>
/// <param name="WindowDays">The length of a rolling window, and how long a level reached in it holds.</param>
/// <param name="GraceDays">Days a member keeps a level after its period, before a downgrade.</param>
/// <param name="MaxLevelsDown">The most levels one downgrade falls.</param>
/// <param name="ReturnUndoesUpgrade">Whether a return that takes the measure below the level undoes the upgrade its purchase brought.</param>
public sealed record TierDefinitionRequest(QualifyingMeasure Measure, QualificationPeriod Period, IReadOnlyList<TierLevel> Levels, int WindowDays = 365,
    int GraceDays = 0, int MaxLevelsDown = 1, bool ReturnUndoesUpgrade = true);

/// <summary>A level set by staff: the level, why, until when, and who set it.</summary>
public sealed record ManualTierView(string Level, string Reason, DateOnly Until);

/// <summary>What is missing for the next level, and until when the current one holds.</summary>
/// <param name="Measure">What qualifies.</param>
/// <param name="Measured">The measure counted today (the rolling window ending today, or the calendar year so far).</param>
/// <param name="NextLevel">The next level's code, or null at the top.</param>
/// <param name="NextName">The next level's name, or null at the top.</param>
/// <param name="Missing">What the measure lacks for the next level (0 at the top).</param>
/// <param name="QualifyBy">In a calendar year, the last day to reach it; null for a rolling window.</param>
/// <param name="HoldsUntil">The last day the current level holds without qualifying again (grace included).</param>
public sealed record TierProgressView(QualifyingMeasure Measure, decimal Measured, string? NextLevel, string? NextName, decimal Missing, DateOnly? QualifyBy,
    DateOnly HoldsUntil);

/// <summary>One change of a member's tier.</summary>
public sealed record TierHistoryView(DateTime At, string? From, string To, TierChangeReason Reason, string? Note, string? Reference, DateOnly? Until, string? Actor);

/// <summary>A member's tier: the level that applies today with its benefits, the qualified level, progress and history.</summary>
/// <param name="Level">The level that applies today (a level set by staff until its end date, else the qualified one).</param>
/// <param name="Name">Its name.</param>
/// <param name="EarningMultiplier">Its earning multiplier.</param>
/// <param name="ServiceFlags">Its named services, for a shop or till to grant.</param>
/// <param name="QualifiedLevel">The level the member qualified for.</param>
/// <param name="Since">The day the qualified level was reached or last kept.</param>
/// <param name="HeldUntil">The last day of the period the qualified level holds for (before grace).</param>
/// <param name="Manual">A level set by staff that still applies, if any.</param>
/// <param name="Progress">What is missing for the next level, and until when the current one holds.</param>
/// <param name="History">The changes, newest first.</param>
public sealed record MemberTierView(string Level, string Name, decimal EarningMultiplier, IReadOnlyList<string> ServiceFlags, string QualifiedLevel, DateOnly Since,
    DateOnly HeldUntil, ManualTierView? Manual, TierProgressView Progress, IReadOnlyList<TierHistoryView> History);

/// <summary>A level set by staff.</summary>
/// <param name="Level">The level's code.</param>
/// <param name="Reason">Why (required, at most 500 characters); kept in the history and the audit log.</param>
/// <param name="Until">The last day (programme time zone) it applies; then the qualified level applies again.</param>
public sealed record SetTierRequest(string Level, string Reason, DateOnly Until);

/// <summary>Tiers: the definition, a member's tier and a level set by hand. The API and the console call these, one path per act.</summary>
public static class TierService
{
    /// <summary>The most history rows a member's tier view shows.</summary>
    public const int HistoryShown = 50;

    /// <summary>The programme's tiers in its time zone, or null when it has none.</summary>
    public static async Task<TierScheme?> SchemeAsync(TreueDb db, Guid programmeId, CancellationToken ct)
    {
        var p = await db.Programmes.AsNoTracking().Where(x => x.Id == programmeId).Select(x => new { x.Tiers, x.TimeZone }).SingleAsync(ct);
        return p.Tiers is null ? null : p.Tiers with { TimeZone = p.TimeZone };
    }

    /// <summary>What a programme without tiers shows: no levels.</summary>
    public static async Task<TierScheme> NoneAsync(TreueDb db, Guid programmeId, CancellationToken ct) =>
        new(await db.Programmes.AsNoTracking().Where(x => x.Id == programmeId).Select(x => x.TimeZone).SingleAsync(ct),
            QualifyingMeasure.StatusPoints, QualificationPeriod.CalendarYear, []);

    /// <summary>The scheme a request describes in the programme's time zone (null for no levels: no tiers), or the field errors.</summary>
    public static (TierScheme? Scheme, Validation? Invalid) Check(TierDefinitionRequest? req, string timeZone)
    {
        var v = new Validation();
        if (req is null) { v.Add("levels", "is required"); return (null, v); }
        if (req.Levels is null) { v.Add("levels", "is required"); return (null, v); }
        if (req.Levels.Count == 0) return (null, null);
        if (req.Levels.Count > 20) v.Add("levels", "at most 20 levels are allowed");
        v.Check(Enum.IsDefined(req.Measure), "measure", "must be statusPoints, spend or purchases");
        v.Check(Enum.IsDefined(req.Period), "period", "must be rollingWindow or calendarYear");
        v.Check(req.WindowDays is >= 1 and <= 3660, "windowDays", "must be between 1 and 3660");
        v.Check(req.GraceDays is >= 0 and <= 3660, "graceDays", "must be between 0 and 3660");
        v.Check(req.MaxLevelsDown is >= 1 and <= 20, "maxLevelsDown", "must be between 1 and 20");
        for (var i = 0; i < req.Levels.Count && i < 20; i++)
        {
            var l = req.Levels[i];
            var at = $"levels[{i}]";
            if (l is null) { v.Add(at, "is required"); continue; }
            if (v.Text(l.Code, at + ".code", 64)) v.Check(l.Code.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-'), at + ".code", "may hold only letters, digits, '_' and '-'");
            v.Text(l.Name, at + ".name", 100);
            v.Check(l.Threshold is >= 0 and <= 1_000_000_000, at + ".threshold", "must be between 0 and 1,000,000,000");
            v.Check(l.EarningMultiplier is >= 1 and <= 10, at + ".earningMultiplier", "must be between 1 and 10");
            if (l.ServiceFlags is null) continue;
            if (l.ServiceFlags.Count > 20) v.Add(at + ".serviceFlags", "at most 20 flags are allowed");
            for (var j = 0; j < l.ServiceFlags.Count && j < 20; j++)
            {
                if (v.Text(l.ServiceFlags[j], $"{at}.serviceFlags[{j}]", 64))
                    v.Check(l.ServiceFlags[j].All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '_'), $"{at}.serviceFlags[{j}]",
                        "may hold only lower-case letters, digits and '_'");
            }
        }
        if (v.Failed) return (null, v);
        var scheme = new TierScheme(timeZone, req.Measure, req.Period,
            req.Levels.Select(l => l with { Code = l.Code.Trim(), Name = l.Name.Trim(), ServiceFlags = [.. l.ServiceFlags ?? []] }).ToList())
        {
            WindowDays = req.WindowDays, GraceDays = req.GraceDays, MaxLevelsDown = req.MaxLevelsDown, ReturnUndoesUpgrade = req.ReturnUndoesUpgrade,
        };
        if (scheme.Problem() is { } problem) { v.Add(problem.Field ?? "levels", problem.Message); return (null, v); }
        return (scheme, null);
    }

    /// <summary>
    /// Sets the programme's tiers; every node applies them from its next purchase on (a new configuration version). Members
    /// keep their standing; a level no longer defined reads as the lowest. No levels remove the tiers (members' standings and
    /// history are kept, for tiers set again).
    /// </summary>
    public static async Task<(TierScheme? Scheme, Validation? Invalid)> PutAsync(TreueDb db, Guid programmeId, TierDefinitionRequest? req, AuditActor actor,
        DateTime now, CancellationToken ct)
    {
        var timeZone = await db.Programmes.AsNoTracking().Where(x => x.Id == programmeId).Select(x => x.TimeZone).SingleAsync(ct);
        var (scheme, invalid) = Check(req, timeZone);
        if (invalid is not null) return (null, invalid);
        await using var work = await Work.BeginAsync(db, ct);
        await db.Programmes.Where(p => p.Id == programmeId).ExecuteUpdateAsync(s => s
            .SetProperty(p => p.Tiers, scheme).SetProperty(p => p.UpdatedAt, now).SetProperty(p => p.ConfigVersion, p => p.ConfigVersion + 1), ct);
        AuditLog.Add(db, programmeId, actor, AuditActions.ProgrammeChanged, now, "tiers",
            scheme is null ? "none" : string.Join(", ", scheme.Levels.Select(l => $"{l.Code} {l.Threshold.ToString(System.Globalization.CultureInfo.InvariantCulture)}")));
        await work.CommitAsync(ct);
        return (scheme, null);
    }

    /// <summary>A member's tier today, or null when the member is not in the programme.</summary>
    public static async Task<MemberTierView?> MemberAsync(TreueDb db, TierScheme scheme, Guid programmeId, Guid memberId, DateTime now, CancellationToken ct)
    {
        var enrolledAt = await db.Members.AsNoTracking().Where(m => m.Id == memberId && m.ProgrammeId == programmeId).Select(m => (DateTime?)m.EnrolledAt)
            .SingleOrDefaultAsync(ct);
        if (enrolledAt is null) return null;
        var today = scheme.LocalDay(now);
        var load = await TierStore.LoadAsync(db, scheme, programmeId, memberId, enrolledAt.Value, today, ct);
        var standing = load.Snapshot.Standing;
        var progress = TierRules.Progress(scheme, standing, load.Snapshot.Activity, today);
        var level = scheme.Level(standing.EffectiveLevel(today));
        var next = progress.Next is null ? null : scheme.Level(progress.Next);
        var history = await db.TierHistory.AsNoTracking().Where(h => h.ProgrammeId == programmeId && h.MemberId == memberId)
            .OrderByDescending(h => h.Id).Take(HistoryShown)
            .Select(h => new TierHistoryView(h.At, h.FromLevel, h.ToLevel, h.Reason, h.Note, h.Reference, h.Until, h.Actor)).ToListAsync(ct);
        var manual = standing.Manual is { } m && today <= m.Until ? new ManualTierView(m.Level, m.Reason, m.Until) : null;
        return new MemberTierView(level.Code, level.Name, level.EarningMultiplier, level.ServiceFlags, scheme.Level(standing.Level).Code, standing.Since,
            standing.HeldUntil, manual,
            new TierProgressView(scheme.Measure, progress.Measured, next?.Code, next?.Name, progress.Missing, progress.QualifyBy, progress.HoldsUntil), history);
    }

    /// <summary>
    /// Staff set a member's level by hand, with a reason and an end date: written with a history row and an audit row (who,
    /// when, why) in one transaction, under the standing's version.
    /// </summary>
    public static async Task<ProblemHttpResult?> SetAsync(TreueDb db, TierScheme scheme, Guid programmeId, Guid memberId, SetTierRequest? req, AuditActor actor,
        DateTime now, CancellationToken ct)
    {
        var v = new Validation();
        if (req is null) v.Add("level", "is required");
        else
        {
            v.Text(req.Level, "level", 64);
            v.Text(req.Reason, "reason", 500);
            v.Check(req.Until.Year is >= 2000 and <= 9999, "until", "must be a day between 2000 and 9999");
        }
        if (v.Failed) return v.Problem();
        await using var work = await Work.BeginAsync(db, ct);
        if (!await AuditLog.MayActAsync(db, programmeId, actor, ct)) return AuditLog.ActorDisabled();
        var enrolledAt = await db.Members.AsNoTracking().Where(m => m.Id == memberId && m.ProgrammeId == programmeId).Select(m => (DateTime?)m.EnrolledAt)
            .SingleOrDefaultAsync(ct);
        if (enrolledAt is null) return Problems.NotFound("member_not_found", "The member", "memberId");
        var load = await TierStore.LoadAsync(db, scheme, programmeId, memberId, enrolledAt.Value, scheme.LocalDay(now), ct);
        var (change, refusal) = TierRules.SetManually(scheme, load.Snapshot.Standing, req!.Level, req.Reason, req.Until, now);
        if (refusal is not null) return Problems.From(refusal);
        if (!await TierStore.WriteAsync(db, new TierWrite(programmeId, memberId, null, null, [change!], load.Version, now, actor.LedgerName), Currency(), ct))
            return Problems.Problem("conflict", "The member's tier changed concurrently; retry.", "memberId", 409);
        AuditLog.Add(db, programmeId, actor, AuditActions.TierSet, now, memberId.ToString(),
            $"{change!.Standing.Manual!.Level} until {req.Until:yyyy-MM-dd}: {req.Reason.Trim()}", memberId);
        await work.CommitAsync(ct);
        return null;
    }

    // A manual change writes no qualifying entry, so no amount is converted.
    private static Domain.Currency Currency() => Domain.Currency.Find("EUR")!;
}
