using System.Globalization;

namespace Treue.Domain.Settlement;

/// <summary>How long a coalition's settlement period is.</summary>
public enum SettlementPeriodKind
{
    /// <summary>A calendar month in the programme's time zone.</summary>
    Month,
    /// <summary>An ISO week (Monday to Sunday) in the programme's time zone.</summary>
    Week,
}

/// <summary>
/// One settlement period: calendar days in the programme's time zone, from <see cref="Start"/> up to but not
/// including <see cref="End"/>. Months are written <c>2026-11</c>, ISO weeks <c>2026-W48</c>.
/// </summary>
/// <param name="Kind">Month or week.</param>
/// <param name="Start">The first day.</param>
/// <param name="End">The day after the last.</param>
public sealed record SettlementPeriod(SettlementPeriodKind Kind, DateOnly Start, DateOnly End)
{
    /// <summary>The period's name: <c>2026-11</c> or <c>2026-W48</c>.</summary>
    public string Label => Kind == SettlementPeriodKind.Month
        ? Start.ToString("yyyy-MM", CultureInfo.InvariantCulture)
        : string.Create(CultureInfo.InvariantCulture, $"{ISOWeek.GetYear(Start.ToDateTime(TimeOnly.MinValue))}-W{ISOWeek.GetWeekOfYear(Start.ToDateTime(TimeOnly.MinValue)):00}");

    /// <summary>
    /// True when the period holds the first day of a month, so the partners' fixed monthly fees are charged in it:
    /// every month, and for weeks the week in which a month begins.
    /// </summary>
    public bool ChargesMonthlyFee => Kind == SettlementPeriodKind.Month || Start.Day == 1 || Start.Month != End.AddDays(-1).Month;

    /// <summary>The period that follows this one.</summary>
    public SettlementPeriod Next() => Containing(Kind, End);

    /// <summary>The period of the given kind that holds a day.</summary>
    public static SettlementPeriod Containing(SettlementPeriodKind kind, DateOnly day)
    {
        if (kind == SettlementPeriodKind.Month)
        {
            var start = new DateOnly(day.Year, day.Month, 1);
            return new(kind, start, start.AddMonths(1));
        }
        var monday = day.AddDays(-(((int)day.DayOfWeek + 6) % 7));
        return new(kind, monday, monday.AddDays(7));
    }

    /// <summary>Reads a period's name: <c>2026-11</c> for a month, <c>2026-W48</c> for an ISO week.</summary>
    /// <returns>The period, or null when the text is neither, or lies outside <see cref="DateBounds"/>.</returns>
    public static SettlementPeriod? Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text) || text.Length > 8) return null;
        text = text.Trim();
        if (text.Length == 8 && text[4] == '-' && text[5] is 'W' or 'w'
            && int.TryParse(text.AsSpan(0, 4), NumberStyles.None, CultureInfo.InvariantCulture, out var year)
            && int.TryParse(text.AsSpan(6, 2), NumberStyles.None, CultureInfo.InvariantCulture, out var week)
            && year >= DateBounds.Min.Year + 1 && year <= DateBounds.Max.Year - 1 && week >= 1 && week <= ISOWeek.GetWeeksInYear(year))
        {
            var monday = DateOnly.FromDateTime(ISOWeek.ToDateTime(year, week, DayOfWeek.Monday));
            return new(SettlementPeriodKind.Week, monday, monday.AddDays(7));
        }
        if (text.Length == 7 && text[4] == '-'
            && DateOnly.TryParseExact(text + "-01", "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var first)
            && first > DateBounds.Min && first.AddMonths(1) < DateBounds.Max)
            return new(SettlementPeriodKind.Month, first, first.AddMonths(1));
        return null;
    }

    /// <summary>The UTC instant at which a day begins in a time zone.</summary>
    public static DateTime StartOfDayUtc(DateOnly day, TimeZoneInfo zone)
    {
        ArgumentNullException.ThrowIfNull(zone);
        var local = day.ToDateTime(TimeOnly.MinValue, DateTimeKind.Unspecified);
        // A day that begins in a gap (a spring-forward at midnight) begins at the first valid moment after it.
        while (zone.IsInvalidTime(local)) local = local.AddMinutes(30);
        return TimeZoneInfo.ConvertTimeToUtc(local, zone);
    }
}
