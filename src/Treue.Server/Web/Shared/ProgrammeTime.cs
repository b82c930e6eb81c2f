namespace Treue.Server.Web.Shared;

/// <summary>
/// Days as the programme counts them: a filter "from 1 March to 3 March" means those days in the programme's zone,
/// turned into the UTC instants the rows are stored with.
/// </summary>
public static class ProgrammeTime
{
    /// <summary>The UTC instant at which <paramref name="day"/> begins in <paramref name="zone"/>.</summary>
    public static DateTime StartOfDayUtc(DateOnly day, TimeZoneInfo zone)
    {
        var local = day.ToDateTime(TimeOnly.MinValue, DateTimeKind.Unspecified);
        // Where a clock change skips midnight, the day begins at the first hour that exists.
        while (zone.IsInvalidTime(local)) local = local.AddMinutes(30);
        return TimeZoneInfo.ConvertTimeToUtc(local, zone);
    }

    /// <summary>The programme's calendar day at the instant <paramref name="utcNow"/>.</summary>
    public static DateOnly Today(DateTime utcNow, TimeZoneInfo zone) =>
        DateOnly.FromDateTime(TimeZoneInfo.ConvertTimeFromUtc(DateTime.SpecifyKind(utcNow, DateTimeKind.Utc), zone));
}
