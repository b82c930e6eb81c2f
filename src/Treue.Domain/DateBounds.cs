namespace Treue.Domain;

/// <summary>
/// The range of calendar days Treue accepts from outside (requests, programme files, imports). Dates far outside any
/// loyalty programme's life only ever come from mistakes or attacks, and arithmetic near <see cref="DateOnly.MinValue"/>
/// or <see cref="DateOnly.MaxValue"/> throws; keeping every date well inside leaves room for the days added and
/// subtracted in reports.
/// </summary>
public static class DateBounds
{
    /// <summary>The first day accepted: 1900-01-01.</summary>
    public static readonly DateOnly Min = new(1900, 1, 1);

    /// <summary>The last day accepted: 2200-12-31.</summary>
    public static readonly DateOnly Max = new(2200, 12, 31);

    /// <summary>The refusal text for a date outside the range.</summary>
    public const string Message = "must be between 1900-01-01 and 2200-12-31";

    /// <summary>True when the day is within the range.</summary>
    public static bool Contains(DateOnly day) => day >= Min && day <= Max;

    /// <summary>True when the instant's UTC day is within the range.</summary>
    public static bool Contains(DateTimeOffset instant) => Contains(DateOnly.FromDateTime(instant.UtcDateTime));

    /// <summary>True when the day of the date and time is within the range.</summary>
    public static bool Contains(DateTime value) => Contains(DateOnly.FromDateTime(value));
}
