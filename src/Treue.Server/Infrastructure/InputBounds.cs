using System.Reflection;
using System.Text.RegularExpressions;
using Treue.Domain;

namespace Treue.Server.Infrastructure;

/// <summary>
/// The bounds every date, number and time zone from outside is held to, in one place so that every endpoint, the
/// console and the CLI refuse alike. Dates and floating-point numbers in paths and query strings are bounded by
/// <see cref="BoundParameters"/> on the API's route group, before any endpoint runs; dates in bodies by each
/// endpoint's validation with <see cref="Date"/>, so that a refusal lists every invalid field at once.
/// </summary>
public static partial class InputBounds
{
    /// <summary>The most points one manual adjustment may give or take.</summary>
    public const long MaxAdjustmentPoints = 10_000_000;

    /// <summary>Most partners, stores, earning rules and rewards one programme document may declare.</summary>
    public const int MaxPartners = 1_000, MaxStores = 10_000, MaxRules = 1_000, MaxRewards = 10_000;

    /// <summary>Longest request target (path and query string) the API reads.</summary>
    public const int MaxTargetBytes = 8 * 1024;

    /// <summary>Longest local path <c>/culture</c> redirects back to.</summary>
    public const int MaxReturnPathLength = 2000;

    /// <summary>Records an error when <paramref name="day"/> is given and outside <see cref="DateBounds"/>.</summary>
    public static bool Date(this Validation v, DateOnly? day, string field) =>
        day is not { } d || v.Check(DateBounds.Contains(d), field, DateBounds.Message);

    /// <summary>Records an error unless <paramref name="points"/> is non-zero and at most <paramref name="max"/> either way.</summary>
    public static bool Points(this Validation v, long points, string field, long max) =>
        // Compared without Math.Abs, which throws for long.MinValue.
        v.Check(points != 0 && points >= -max && points <= max, field, $"must be non-zero and at most {max:N0} either way");

    /// <summary>
    /// Looks a time zone up by its IANA (or Windows) id; null when it is not one. Only names shaped like zone ids reach
    /// the zone database: on Linux the id is a path under <c>/usr/share/zoneinfo</c>, and a directory ("America"),
    /// a relative path ("../etc") or an absolute one must not be read as a file.
    /// </summary>
    public static TimeZoneInfo? FindTimeZone(string? id)
    {
        if (string.IsNullOrWhiteSpace(id) || id.Length > 64 || !ZoneIdPattern().IsMatch(id)) return null;
        try
        {
            return TimeZoneInfo.FindSystemTimeZoneById(id);
        }
        catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException or IOException
                                      or UnauthorizedAccessException or System.Security.SecurityException or ArgumentException)
        {
            return null;
        }
    }

    /// <summary>Records an error when <paramref name="id"/> is not a time zone.</summary>
    public static bool TimeZone(this Validation v, string? id, string field) =>
        v.Check(FindTimeZone(id) is not null, field, "is not a known IANA time zone");

    /// <summary>
    /// An endpoint filter factory that refuses, with a 400 naming the parameter, a route or query parameter that is a
    /// date outside <see cref="DateBounds"/> or a floating-point number that is not finite (<c>NaN</c>, <c>Infinity</c>).
    /// Endpoints without such parameters get no filter at all.
    /// </summary>
    public static EndpointFilterDelegate BoundParameters(EndpointFilterFactoryContext context, EndpointFilterDelegate next)
    {
        var bounded = context.MethodInfo.GetParameters()
            .Select((p, i) => (p.Name ?? "", Index: i, Kind: KindOf(p)))
            .Where(p => p.Kind != BoundKind.None)
            .ToArray();
        if (bounded.Length == 0) return next;
        return invocation =>
        {
            var v = new Validation();
            foreach (var (name, index, kind) in bounded)
            {
                switch (invocation.Arguments[index])
                {
                    case DateOnly d: v.Date(d, name); break;
                    case DateTime t: v.Check(DateBounds.Contains(t), name, DateBounds.Message); break;
                    case DateTimeOffset t: v.Check(DateBounds.Contains(t), name, DateBounds.Message); break;
                    case double x: v.Check(double.IsFinite(x), name, "must be a finite number"); break;
                    case float x: v.Check(float.IsFinite(x), name, "must be a finite number"); break;
                }
            }
            return v.Failed ? ValueTask.FromResult<object?>(v.Problem()) : next(invocation);
        };
    }

    private enum BoundKind { None, Date, Number }

    private static BoundKind KindOf(ParameterInfo p)
    {
        var t = Nullable.GetUnderlyingType(p.ParameterType) ?? p.ParameterType;
        if (t == typeof(DateOnly) || t == typeof(DateTime) || t == typeof(DateTimeOffset)) return BoundKind.Date;
        if (t == typeof(double) || t == typeof(float)) return BoundKind.Number;
        return BoundKind.None;
    }

    // Area/Location[/Sub], Etc/GMT+1, UTC, and Windows names ("W. Europe Standard Time"). Every part starts with a
    // letter or digit, so "." and ".." can never be a part and no id starts with "/".
    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9 ._+\-]*(/[A-Za-z0-9][A-Za-z0-9._+\-]*)*$")]
    private static partial Regex ZoneIdPattern();
}
