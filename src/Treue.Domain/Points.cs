namespace Treue.Domain;

/// <summary>A whole number of loyalty points. Points are never fractional.</summary>
/// <param name="Value">The number of points; negative values occur only as ledger movements.</param>
public readonly record struct Points(long Value) : IComparable<Points>
{
    /// <summary>No points.</summary>
    public static readonly Points Zero = new(0);

    /// <summary>Adds two amounts of points.</summary>
    public static Points operator +(Points a, Points b) => new(checked(a.Value + b.Value));

    /// <summary>Subtracts two amounts of points.</summary>
    public static Points operator -(Points a, Points b) => new(checked(a.Value - b.Value));

    /// <summary>Negates an amount of points.</summary>
    public static Points operator -(Points a) => new(-a.Value);

    /// <summary>Compares two amounts.</summary>
    public static bool operator <(Points a, Points b) => a.Value < b.Value;

    /// <summary>Compares two amounts.</summary>
    public static bool operator >(Points a, Points b) => a.Value > b.Value;

    /// <summary>Compares two amounts.</summary>
    public static bool operator <=(Points a, Points b) => a.Value <= b.Value;

    /// <summary>Compares two amounts.</summary>
    public static bool operator >=(Points a, Points b) => a.Value >= b.Value;

    /// <inheritdoc />
    public int CompareTo(Points other) => Value.CompareTo(other.Value);

    /// <inheritdoc />
    public override string ToString() => Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
