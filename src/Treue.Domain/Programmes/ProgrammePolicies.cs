namespace Treue.Domain.Programmes;

/// <summary>How fractional points are turned into whole points.</summary>
public enum RoundingPolicy
{
    /// <summary>Drop the fraction (12.9 → 12). The default: a programme never gives away a point it did not promise.</summary>
    Down,
    /// <summary>Round to the nearest whole point, halves away from zero (12.5 → 13).</summary>
    Nearest,
    /// <summary>Round up any fraction (12.1 → 13).</summary>
    Up,
}

/// <summary>The kinds of expiry policy.</summary>
public enum ExpiryKind
{
    /// <summary>Points never expire.</summary>
    Never,
    /// <summary>Points expire a number of months after they were earned.</summary>
    MonthsAfterEarning,
    /// <summary>Points expire at the end of the calendar year that lies <c>Years</c> after the year they were earned in.</summary>
    EndOfYearAfter,
}

/// <summary>When earned points expire.</summary>
/// <param name="Kind">The kind of policy.</param>
/// <param name="Months">For <see cref="ExpiryKind.MonthsAfterEarning"/>: months until expiry (36 = three years).</param>
/// <param name="Years">For <see cref="ExpiryKind.EndOfYearAfter"/>: 2 means "the end of the year after next".</param>
public sealed record ExpiryPolicy(ExpiryKind Kind, int Months = 0, int Years = 0)
{
    /// <summary>Points never expire.</summary>
    public static readonly ExpiryPolicy Never = new(ExpiryKind.Never);

    /// <summary>The UTC instant at which points earned at <paramref name="earnedAtUtc"/> expire, or null if never.</summary>
    /// <remarks>Year ends are taken in UTC so every node of a cluster agrees on the instant.</remarks>
    public DateTime? ExpiresAt(DateTime earnedAtUtc) => Kind switch
    {
        ExpiryKind.Never => null,
        ExpiryKind.MonthsAfterEarning => earnedAtUtc.AddMonths(Months),
        ExpiryKind.EndOfYearAfter => new DateTime(earnedAtUtc.Year + Years + 1, 1, 1, 0, 0, 0, DateTimeKind.Utc),
        _ => throw new InvalidOperationException($"Unknown expiry kind {Kind}."),
    };

    /// <summary>Returns the name of the first invalid field, or null when the policy is valid.</summary>
    public string? Invalid() => Kind switch
    {
        ExpiryKind.Never => null,
        ExpiryKind.MonthsAfterEarning => Months is < 1 or > 600 ? "months" : null,
        ExpiryKind.EndOfYearAfter => Years is < 0 or > 50 ? "years" : null,
        _ => "kind",
    };
}

/// <summary>The limits on paying with points at checkout.</summary>
/// <param name="MinPoints">The fewest points that can be used in one payment.</param>
/// <param name="MaxPoints">The most points that can be used in one payment (null: no limit).</param>
/// <param name="MaxShareOfBasket">The largest share of the basket total that points may pay, from 0 to 1.</param>
public sealed record PayWithPointsPolicy(long MinPoints = 100, long? MaxPoints = null, decimal MaxShareOfBasket = 1m);
