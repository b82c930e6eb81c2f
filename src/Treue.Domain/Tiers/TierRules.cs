namespace Treue.Domain.Tiers;

/// <summary>A level set by staff, which applies instead of the qualified one until its end date.</summary>
/// <param name="Level">The level set.</param>
/// <param name="Reason">Why, as staff wrote it.</param>
/// <param name="Until">The last day (programme time zone) it applies.</param>
public sealed record ManualTier(string Level, string Reason, DateOnly Until);

/// <summary>What an upgrade replaced, so a return of the purchase that brought it can undo it.</summary>
/// <param name="Reference">The purchase that brought the upgrade.</param>
/// <param name="Level">The level before.</param>
/// <param name="Since">The day the level before was reached.</param>
/// <param name="HeldUntil">The day the level before held until.</param>
public sealed record TierUndo(string Reference, string Level, DateOnly Since, DateOnly HeldUntil);

/// <summary>A member's place in the tiers.</summary>
/// <param name="Level">The level qualified for.</param>
/// <param name="Since">The day (programme time zone) it was reached or last kept at a review.</param>
/// <param name="HeldUntil">The last day of the period it holds for; the grace days follow, then the review.</param>
public sealed record TierStanding(string Level, DateOnly Since, DateOnly HeldUntil)
{
    /// <summary>A level set by staff, if any; it may have ended already (see <see cref="EffectiveLevel"/>).</summary>
    public ManualTier? Manual { get; init; }

    /// <summary>The upgrade a return can still undo, if the last change was an upgrade.</summary>
    public TierUndo? Undo { get; init; }

    /// <summary>The level that applies on <paramref name="day"/>: the manual one until its end date, else the qualified one.</summary>
    public string EffectiveLevel(DateOnly day) => Manual is { } manual && day <= manual.Until ? manual.Level : Level;
}

/// <summary>Why a member's level changed.</summary>
public enum TierChangeReason
{
    /// <summary>The member enrolled and starts at the lowest level.</summary>
    Enrolled,
    /// <summary>A purchase took the measure to a higher level.</summary>
    Upgrade,
    /// <summary>The member reached their level again and keeps it for a new period.</summary>
    Requalified,
    /// <summary>The period and its grace days ended without the measure for the level.</summary>
    Downgrade,
    /// <summary>A return took the measure below the level its purchase had brought.</summary>
    UpgradeReturned,
    /// <summary>Staff set the level by hand.</summary>
    ManualSet,
    /// <summary>The level set by hand reached its end date.</summary>
    ManualEnded,
}

/// <summary>One entry of a member's tier history.</summary>
/// <param name="AtUtc">When it happened.</param>
/// <param name="From">The qualified level before (null at enrolment); for a manual change, the level that applied.</param>
/// <param name="To">The qualified level after; for a manual change, the level set (or, at its end, the qualified level).</param>
/// <param name="Reason">Why.</param>
public sealed record TierHistoryEntry(DateTime AtUtc, string? From, string To, TierChangeReason Reason)
{
    /// <summary>Staff's reason for a manual level, as written.</summary>
    public string? Note { get; init; }

    /// <summary>The purchase that brought or undid the change, if any.</summary>
    public string? Reference { get; init; }

    /// <summary>The last day the new level holds (before grace), or a manual level's end date.</summary>
    public DateOnly? Until { get; init; }
}

/// <summary>A change of level: the standing to keep and the history entry to write with it.</summary>
/// <param name="Standing">The member's standing after the change.</param>
/// <param name="Entry">The history entry.</param>
public sealed record TierChange(TierStanding Standing, TierHistoryEntry Entry);

/// <summary>What is missing for the next level, and until when the current one holds.</summary>
/// <param name="Level">The level that applies today.</param>
/// <param name="HoldsUntil">The last day it holds without qualifying again: a manual level's end date, or the period's end plus grace.</param>
/// <param name="Measured">The measure counted today (window ending today, or the calendar year so far).</param>
/// <param name="Next">The next level above the qualified one, or null at the top.</param>
/// <param name="Missing">What the measure lacks for <paramref name="Next"/> (0 at the top).</param>
/// <param name="QualifyBy">In a calendar year, the last day to reach it (31 December); null for a rolling window, where
/// it may be reached on any day but old purchases leave the window.</param>
public sealed record TierProgress(string Level, DateOnly HoldsUntil, decimal Measured, string? Next, decimal Missing, DateOnly? QualifyBy);

/// <summary>
/// The tier transitions, as pure functions of the scheme, the member's standing, their qualifying activity and the day.
/// The store writes the returned standing and history entry in the same transaction as what caused them.
/// </summary>
public static class TierRules
{
    /// <summary>A new member's standing: the lowest level from the day of enrolment.</summary>
    public static TierChange Enrol(TierScheme scheme, DateTime enrolledAtUtc)
    {
        var day = scheme.LocalDay(enrolledAtUtc);
        var level = scheme.Levels[0].Code;
        return new(new TierStanding(level, day, scheme.HeldUntilFrom(day)), new TierHistoryEntry(enrolledAtUtc, null, level, TierChangeReason.Enrolled));
    }

    /// <summary>
    /// The change a purchase brings, or null: an upgrade at once when the measure counted on the purchase's day (with the
    /// purchase in <paramref name="activity"/>) reaches a higher level; a requalification when it reaches the current level
    /// and that extends the period (in a calendar year, once per year; in a rolling window, during the grace days).
    /// </summary>
    /// <param name="scheme">The tier scheme.</param>
    /// <param name="standing">The standing before the purchase.</param>
    /// <param name="activity">The member's qualifying entries, including the purchase's.</param>
    /// <param name="reference">The purchase's reference.</param>
    /// <param name="atUtc">When the purchase happened.</param>
    public static TierChange? AfterPurchase(TierScheme scheme, TierStanding standing, IEnumerable<QualifyingEntry> activity, string reference, DateTime atUtc)
    {
        var day = scheme.LocalDay(atUtc);
        var (from, to) = scheme.WindowEnding(day);
        var earned = scheme.LevelFor(scheme.Measured(activity, from, to));
        var current = Math.Max(scheme.IndexOf(standing.Level), 0);
        // Qualification changes name the qualified levels; a manual level may apply over them until its end date.
        var before = standing.Level;
        if (earned > current)
        {
            var code = scheme.Levels[earned].Code;
            var next = new TierStanding(code, day, scheme.HeldUntilFrom(day))
            {
                Manual = standing.Manual,
                Undo = new TierUndo(reference, standing.Level, standing.Since, standing.HeldUntil),
            };
            return new(next, new TierHistoryEntry(atUtc, before, code, TierChangeReason.Upgrade) { Reference = reference, Until = next.HeldUntil });
        }
        var extends = scheme.Period == QualificationPeriod.CalendarYear ? scheme.HeldUntilFrom(day) > standing.HeldUntil : day > standing.HeldUntil;
        if (earned == current && current > 0 && extends)
        {
            var next = standing with { Since = day, HeldUntil = scheme.HeldUntilFrom(day), Undo = null };
            return new(next, new TierHistoryEntry(atUtc, before, next.Level, TierChangeReason.Requalified) { Reference = reference, Until = next.HeldUntil });
        }
        return null;
    }

    /// <summary>
    /// The reviews due by <paramref name="today"/>: each period whose end and grace days have passed is reviewed on the
    /// measure of its own qualification window (the calendar year it ends in, or the rolling window ending with its grace
    /// days). A member who reached their level keeps it for another period; one who did not falls to the level they
    /// reached, but by at most <see cref="TierScheme.MaxLevelsDown"/> levels per review. A scheduler that ran late catches up
    /// period by period. The lowest level is never reviewed.
    /// </summary>
    public static IReadOnlyList<TierChange> Review(TierScheme scheme, TierStanding standing, IReadOnlyCollection<QualifyingEntry> activity, DateOnly today, DateTime atUtc)
    {
        var changes = new List<TierChange>();
        while (Math.Max(scheme.IndexOf(standing.Level), 0) > 0 && today > standing.HeldUntil.AddDays(scheme.GraceDays))
        {
            var current = scheme.IndexOf(standing.Level);
            var reviewDay = standing.HeldUntil.AddDays(scheme.GraceDays);
            var (from, to) = scheme.Period == QualificationPeriod.CalendarYear
                ? (new DateOnly(standing.HeldUntil.Year, 1, 1), standing.HeldUntil)
                : scheme.WindowEnding(reviewDay);
            var earned = scheme.LevelFor(scheme.Measured(activity, from, to));
            var level = earned >= current ? current : Math.Max(earned, current - scheme.MaxLevelsDown);
            var heldUntil = scheme.Period == QualificationPeriod.CalendarYear
                ? new DateOnly(standing.HeldUntil.Year + 1, 12, 31)
                : standing.HeldUntil.AddDays(scheme.WindowDays);
            var before = standing.Level;
            standing = standing with { Level = scheme.Levels[level].Code, Since = reviewDay.AddDays(1), HeldUntil = heldUntil, Undo = null };
            var reason = level < current ? TierChangeReason.Downgrade : TierChangeReason.Requalified;
            changes.Add(new(standing, new TierHistoryEntry(atUtc, before, standing.Level, reason) { Until = heldUntil }));
        }
        return changes;
    }

    /// <summary>
    /// The change a return brings, or null: when the scheme says so and the member's last change was the upgrade the
    /// returned purchase brought, and the measure counted on the return's day (with the return in
    /// <paramref name="activity"/>) no longer reaches that level, the upgrade is undone back to the level before (or the
    /// level still reached, if higher). A partial return that leaves the measure high enough changes nothing.
    /// </summary>
    public static TierChange? AfterReturn(TierScheme scheme, TierStanding standing, IEnumerable<QualifyingEntry> activity, string reference, DateTime atUtc)
    {
        if (!scheme.ReturnUndoesUpgrade || standing.Undo is not { } undo || undo.Reference != reference) return null;
        var day = scheme.LocalDay(atUtc);
        var (from, to) = scheme.WindowEnding(day);
        var earned = scheme.LevelFor(scheme.Measured(activity, from, to));
        var current = scheme.IndexOf(standing.Level);
        if (earned >= current) return null;
        var previous = Math.Max(scheme.IndexOf(undo.Level), 0);
        var next = earned > previous
            ? standing with { Level = scheme.Levels[earned].Code, Undo = null }
            : standing with { Level = undo.Level, Since = undo.Since, HeldUntil = undo.HeldUntil, Undo = null };
        return new(next, new TierHistoryEntry(atUtc, standing.Level, next.Level, TierChangeReason.UpgradeReturned)
        {
            Reference = reference,
            Until = next.HeldUntil,
        });
    }

    /// <summary>Staff set a level by hand, with a reason and an end date; qualification goes on underneath it.</summary>
    /// <returns>The change, or a refusal naming the field at fault.</returns>
    public static (TierChange? Change, Refusal? Refusal) SetManually(TierScheme scheme, TierStanding standing, string level, string reason, DateOnly until, DateTime atUtc)
    {
        if (scheme.IndexOf(level) < 0) return (null, new Refusal("unknown_tier", $"The programme has no tier '{level}'.", "level"));
        if (string.IsNullOrWhiteSpace(reason)) return (null, new Refusal("reason_required", "A tier set by hand needs a reason.", "reason"));
        var day = scheme.LocalDay(atUtc);
        if (until < day) return (null, new Refusal("invalid_until", "The end date is in the past.", "until"));
        var code = scheme.Levels[scheme.IndexOf(level)].Code;
        var next = standing with { Manual = new ManualTier(code, reason.Trim(), until) };
        return (new(next, new TierHistoryEntry(atUtc, standing.EffectiveLevel(day), code, TierChangeReason.ManualSet) { Note = reason.Trim(), Until = until }), null);
    }

    /// <summary>The end of a manual level once its end date has passed, or null.</summary>
    public static TierChange? EndManual(TierStanding standing, DateOnly today, DateTime atUtc)
    {
        if (standing.Manual is not { } manual || today <= manual.Until) return null;
        var next = standing with { Manual = null };
        return new(next, new TierHistoryEntry(atUtc, manual.Level, next.Level, TierChangeReason.ManualEnded) { Note = manual.Reason, Until = next.HeldUntil });
    }

    /// <summary>The service flags of the level that applies on <paramref name="day"/>, for a shop or till to read.</summary>
    public static IReadOnlyList<string> ServiceFlags(TierScheme scheme, TierStanding standing, DateOnly day) =>
        scheme.Level(standing.EffectiveLevel(day)).ServiceFlags;

    /// <summary>What is missing for the next level on <paramref name="today"/>, and until when the current level holds.</summary>
    public static TierProgress Progress(TierScheme scheme, TierStanding standing, IEnumerable<QualifyingEntry> activity, DateOnly today)
    {
        var (from, to) = scheme.WindowEnding(today);
        var measured = scheme.Measured(activity, from, to);
        var current = Math.Max(scheme.IndexOf(standing.Level), 0);
        var next = current + 1 < scheme.Levels.Count ? scheme.Levels[current + 1] : null;
        var holds = standing.Manual is { } manual && today <= manual.Until ? manual.Until : standing.HeldUntil.AddDays(scheme.GraceDays);
        return new TierProgress(standing.EffectiveLevel(today), holds, measured, next?.Code, next is null ? 0 : Math.Max(next.Threshold - measured, 0),
            scheme.Period == QualificationPeriod.CalendarYear ? new DateOnly(today.Year, 12, 31) : null);
    }
}
