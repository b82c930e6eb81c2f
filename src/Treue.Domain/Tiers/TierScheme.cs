namespace Treue.Domain.Tiers;

/// <summary>What decides a member's level.</summary>
public enum QualifyingMeasure
{
    /// <summary>Status points: earned with the rules' points but kept apart from them and never spent.</summary>
    StatusPoints,
    /// <summary>Money spent, after discounts.</summary>
    Spend,
    /// <summary>The number of purchases (a full return takes one away).</summary>
    Purchases,
}

/// <summary>Over which days the measure is counted.</summary>
public enum QualificationPeriod
{
    /// <summary>The last <see cref="TierScheme.WindowDays"/> days, up to and including the day in question.</summary>
    RollingWindow,
    /// <summary>The calendar year of the day in question, from 1 January.</summary>
    CalendarYear,
}

/// <summary>One level of a tier scheme (Classic, Silver, Gold).</summary>
/// <param name="Code">Stable identifier, unique in the scheme; it is also the membership code campaigns are reserved for.</param>
/// <param name="Name">What members and staff read.</param>
/// <param name="Threshold">The measure a member needs to reach the level; the lowest level has 0.</param>
public sealed record TierLevel(string Code, string Name, decimal Threshold)
{
    /// <summary>The factor on the points the rules earn (1.5 gives half as many again); 1 adds nothing.</summary>
    public decimal EarningMultiplier { get; init; } = 1m;

    /// <summary>Named services a shop or till grants the level (<c>free_express_delivery</c>, <c>personal_advisor</c>).</summary>
    public IReadOnlyList<string> ServiceFlags { get; init; } = [];
}

/// <summary>
/// A programme's tiers: the levels in ascending order of their thresholds, the measure that qualifies for them and the
/// period it is counted over, in the programme's time zone. An upgrade happens at once; a downgrade only when the
/// period a level holds for has ended and its grace days have passed, and by at most <see cref="MaxLevelsDown"/> levels.
/// </summary>
/// <param name="TimeZone">The programme's time zone (IANA id), in which days and calendar years are counted.</param>
/// <param name="Measure">What qualifies.</param>
/// <param name="Period">Over which days it is counted.</param>
/// <param name="Levels">The levels, lowest first; the first has threshold 0.</param>
public sealed record TierScheme(string TimeZone, QualifyingMeasure Measure, QualificationPeriod Period, IReadOnlyList<TierLevel> Levels)
{
    /// <summary>The length of a rolling window, and how long a level reached in it holds, in days.</summary>
    public int WindowDays { get; init; } = 365;

    /// <summary>Days a member keeps a level after the period it held for, before a downgrade.</summary>
    public int GraceDays { get; init; }

    /// <summary>The most levels one downgrade falls.</summary>
    public int MaxLevelsDown { get; init; } = 1;

    /// <summary>Whether a return that takes the measure below the level reached undoes the upgrade it brought.</summary>
    public bool ReturnUndoesUpgrade { get; init; } = true;

    /// <summary>
    /// Why the scheme cannot be used, naming the field at fault, or null when it can: at least one level, unique codes,
    /// the first threshold 0 and each next one higher, a known time zone, a window of at least one day, no negative
    /// grace, a downgrade of at least one level and multipliers not below 1.
    /// </summary>
    public Refusal? Problem()
    {
        if (Levels.Count == 0) return Invalid("levels", "A tier scheme needs at least one level.");
        if (!TimeZoneInfo.TryFindSystemTimeZoneById(TimeZone, out _)) return Invalid("timeZone", $"The time zone '{TimeZone}' is not known.");
        if (WindowDays < 1) return Invalid("windowDays", "The window must be at least one day.");
        if (GraceDays < 0) return Invalid("graceDays", "The grace period cannot be negative.");
        if (MaxLevelsDown < 1) return Invalid("maxLevelsDown", "A downgrade falls at least one level.");
        if (Levels[0].Threshold != 0) return Invalid("levels[0].threshold", "The lowest level's threshold is 0.");
        var codes = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < Levels.Count; i++)
        {
            var level = Levels[i];
            if (string.IsNullOrWhiteSpace(level.Code) || !codes.Add(level.Code)) return Invalid($"levels[{i}].code", "Each level needs its own code.");
            if (i > 0 && level.Threshold <= Levels[i - 1].Threshold)
                return Invalid($"levels[{i}].threshold", "Each level's threshold must be higher than the one below.");
            if (level.EarningMultiplier < 1) return Invalid($"levels[{i}].earningMultiplier", "A multiplier is at least 1.");
        }
        return null;
    }

    private static Refusal Invalid(string field, string message) => new("invalid_tier_scheme", message, field);

    /// <summary>The position of a level, lowest 0, or -1 for a code the scheme does not have.</summary>
    public int IndexOf(string code)
    {
        for (var i = 0; i < Levels.Count; i++)
            if (string.Equals(Levels[i].Code, code, StringComparison.OrdinalIgnoreCase)) return i;
        return -1;
    }

    /// <summary>The level of a code; an unknown code reads as the lowest level.</summary>
    public TierLevel Level(string code) => Levels[Math.Max(IndexOf(code), 0)];

    /// <summary>The day an instant falls on in the programme's time zone.</summary>
    public DateOnly LocalDay(DateTime utc) =>
        DateOnly.FromDateTime(TimeZoneInfo.ConvertTimeFromUtc(DateTime.SpecifyKind(utc, DateTimeKind.Utc), TimeZoneInfo.FindSystemTimeZoneById(TimeZone)));

    /// <summary>The days counted for a decision on <paramref name="day"/>: the rolling window ending that day, or its calendar year so far.</summary>
    public (DateOnly From, DateOnly To) WindowEnding(DateOnly day) =>
        Period == QualificationPeriod.CalendarYear ? (new DateOnly(day.Year, 1, 1), day) : (day.AddDays(1 - WindowDays), day);

    /// <summary>
    /// The last day a level reached on <paramref name="day"/> holds for before its review: in a calendar year, the end of
    /// the next year; in a rolling window, one window after the day.
    /// </summary>
    public DateOnly HeldUntilFrom(DateOnly day) =>
        Period == QualificationPeriod.CalendarYear ? new DateOnly(day.Year + 1, 12, 31) : day.AddDays(WindowDays);

    /// <summary>The measure of the entries whose day (in the programme's time zone) is within [from, to].</summary>
    public decimal Measured(IEnumerable<QualifyingEntry> activity, DateOnly from, DateOnly to)
    {
        decimal sum = 0;
        foreach (var entry in activity)
        {
            var day = LocalDay(entry.OccurredAtUtc);
            if (day < from || day > to) continue;
            sum += Measure switch
            {
                QualifyingMeasure.StatusPoints => entry.StatusPoints,
                QualifyingMeasure.Spend => entry.Spend,
                _ => entry.Purchases,
            };
        }
        return sum;
    }

    /// <summary>The highest level whose threshold the measure reaches.</summary>
    public int LevelFor(decimal measured)
    {
        var at = 0;
        for (var i = 1; i < Levels.Count; i++)
            if (measured >= Levels[i].Threshold) at = i;
        return at;
    }
}

/// <summary>What one purchase or return adds to the qualifying measures; a return adds negative amounts.</summary>
/// <param name="Reference">The purchase's reference (its receipt id).</param>
/// <param name="OccurredAtUtc">When the purchase or return happened.</param>
/// <param name="StatusPoints">Status points: the points the rules earned, kept apart from the spendable ones.</param>
/// <param name="Spend">Money spent after discounts.</param>
/// <param name="Purchases">1 for a purchase, -1 for its full return, 0 for a partial return.</param>
public sealed record QualifyingEntry(string Reference, DateTime OccurredAtUtc, long StatusPoints, decimal Spend, int Purchases);
