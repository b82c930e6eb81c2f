using Treue.Domain.Earning;

namespace Treue.Domain.Promotions;

/// <summary>
/// The receipt lines as pricing has left them so far: each line's net amount in minor units, and its whole units not yet
/// taken by an offer that works on units (bundles, buy X get Y, free items), so no unit is in two bundles.
/// </summary>
public sealed class PricingLines
{
    private readonly long[] _net;
    private readonly int[] _free;
    private readonly decimal[] _unitValue;

    /// <summary>Starts pricing a receipt: every line at its net amount (rounded down to the minor unit), every whole unit free.</summary>
    public PricingLines(Currency currency, IReadOnlyList<BasketLine> lines)
        : this(currency, lines, lines.Select(l => MinorUnits.NetMinor(currency, l.Net)).ToArray())
    {
    }

    /// <summary>Starts pricing lines whose net amounts (minor units) are given, for example what is kept after a return.</summary>
    /// <param name="currency">The programme currency.</param>
    /// <param name="lines">The lines.</param>
    /// <param name="netMinor">Each line's net amount in minor units.</param>
    /// <param name="freeUnits">Each line's whole units free for offers on units; by default all whole units of a line
    /// with a whole quantity.</param>
    public PricingLines(Currency currency, IReadOnlyList<BasketLine> lines, long[] netMinor, int[]? freeUnits = null)
    {
        Currency = currency;
        Lines = lines;
        _net = (long[])netMinor.Clone();
        _free = new int[lines.Count];
        _unitValue = new decimal[lines.Count];
        for (var i = 0; i < lines.Count; i++)
        {
            var q = lines[i].Quantity;
            // Goods sold by weight take part in line and basket discounts, not in offers on units.
            if (q > 0 && q == decimal.Truncate(q) && q <= int.MaxValue)
            {
                _free[i] = (int)q;
                _unitValue[i] = _net[i] / q;
                if (freeUnits is not null) _free[i] = Math.Clamp(freeUnits[i], 0, _free[i]);
            }
        }
    }

    /// <summary>The programme currency.</summary>
    public Currency Currency { get; }

    /// <summary>The receipt lines as sent.</summary>
    public IReadOnlyList<BasketLine> Lines { get; }

    /// <summary>Number of lines.</summary>
    public int Count => Lines.Count;

    /// <summary>The line's net amount so far, in minor units: the most any further discount may take from it.</summary>
    public long Net(int line) => _net[line];

    /// <summary>The sum of the lines' net amounts so far, in minor units.</summary>
    public long TotalNet => _net.Sum();

    /// <summary>Whole units of the line not yet taken by an offer on units.</summary>
    public int FreeUnits(int line) => _free[line];

    /// <summary>What one free unit of the line is worth so far, in (possibly fractional) minor units.</summary>
    public decimal UnitValue(int line) => _unitValue[line];

    /// <summary>The free units of the selected lines, one entry per unit.</summary>
    public List<PricedUnit> Units(LineSelector selector)
    {
        var units = new List<PricedUnit>();
        for (var i = 0; i < Count; i++)
        {
            if (!selector.Matches(Lines[i])) continue;
            for (var u = 0; u < _free[i]; u++) units.Add(new PricedUnit(i, u, _unitValue[i]));
        }
        return units;
    }

    /// <summary>A copy to try offers on without changing this one.</summary>
    public PricingLines Copy()
    {
        var copy = new PricingLines(Currency, Lines, _net);
        Array.Copy(_free, copy._free, _free.Length);
        Array.Copy(_unitValue, copy._unitValue, _unitValue.Length);
        return copy;
    }

    /// <summary>
    /// Takes an offer's outcome into the lines. Units an offer used keep their discount; lines discounted as a whole
    /// lower the value of their free units in proportion.
    /// </summary>
    public void Apply(OfferOutcome outcome)
    {
        for (var i = 0; i < Count; i++)
        {
            var discount = outcome.Discounts[i];
            if (discount < 0 || discount > _net[i])
                throw new InvalidOperationException($"A discount of {discount} on line {Lines[i].LineNo} exceeds its net amount {_net[i]}.");
            var used = outcome.UnitsUsed[i];
            if (used > _free[i]) throw new InvalidOperationException($"Line {Lines[i].LineNo} has only {_free[i]} free units.");
            if (used == 0 && discount > 0 && _net[i] > 0) _unitValue[i] = _unitValue[i] * (_net[i] - discount) / _net[i];
            _net[i] -= discount;
            _free[i] -= used;
        }
    }
}

/// <summary>One whole unit of a line, as offers on units see it.</summary>
/// <param name="Line">The line's index.</param>
/// <param name="Unit">The unit's number within the line.</param>
/// <param name="Value">What it is worth so far, in minor units.</param>
public readonly record struct PricedUnit(int Line, int Unit, decimal Value);

/// <summary>What one offer does to the lines.</summary>
/// <param name="Discounts">The discount on each line, in minor units.</param>
/// <param name="UnitsUsed">The units of each line the offer took (for offers on units).</param>
/// <param name="Applications">How often it applied (bundles formed, buy-X-get-Y runs); 0 when it did not apply.</param>
/// <param name="Gifts">SKUs handed over free that were not in the basket.</param>
public sealed record OfferOutcome(long[] Discounts, int[] UnitsUsed, int Applications, IReadOnlyList<string> Gifts)
{
    /// <summary>An offer that does not apply.</summary>
    public static OfferOutcome None(int lines) => new(new long[lines], new int[lines], 0, []);

    /// <summary>The discount in all, in minor units.</summary>
    public long Total => Discounts.Sum();
}
