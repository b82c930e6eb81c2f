namespace Treue.Domain;

/// <summary>An ISO 4217 currency with the number of digits after the decimal point.</summary>
/// <param name="Code">The three-letter code, upper case.</param>
/// <param name="MinorDigits">Digits of the minor unit (2 for EUR, 0 for JPY, 3 for KWD).</param>
public sealed record Currency(string Code, int MinorDigits)
{
    // The currencies a loyalty programme is realistically run in; the list is data, not logic.
    private static readonly Dictionary<string, int> Known = new(StringComparer.Ordinal)
    {
        ["EUR"] = 2, ["USD"] = 2, ["GBP"] = 2, ["CHF"] = 2, ["SEK"] = 2, ["NOK"] = 2, ["DKK"] = 2,
        ["PLN"] = 2, ["CZK"] = 2, ["HUF"] = 2, ["RON"] = 2, ["BGN"] = 2, ["CAD"] = 2, ["AUD"] = 2,
        ["NZD"] = 2, ["SGD"] = 2, ["HKD"] = 2, ["CNY"] = 2, ["INR"] = 2, ["BRL"] = 2, ["MXN"] = 2,
        ["ZAR"] = 2, ["TRY"] = 2, ["ILS"] = 2, ["AED"] = 2, ["SAR"] = 2, ["THB"] = 2, ["MYR"] = 2,
        ["JPY"] = 0, ["KRW"] = 0, ["ISK"] = 0, ["CLP"] = 0, ["VND"] = 0,
        ["KWD"] = 3, ["BHD"] = 3, ["OMR"] = 3, ["JOD"] = 3, ["TND"] = 3,
    };

    /// <summary>Looks up a currency by its ISO code.</summary>
    /// <returns>The currency, or <c>null</c> when the code is not a known ISO 4217 code.</returns>
    public static Currency? Find(string? code) =>
        code is not null && Known.TryGetValue(code, out var digits) ? new Currency(code, digits) : null;

    /// <summary>True when <paramref name="amount"/> has no more decimals than the minor unit allows.</summary>
    public bool IsExact(decimal amount) => decimal.Round(amount, MinorDigits) == amount;

    /// <summary>Converts an amount to integer minor units (cents), which is how money is stored.</summary>
    public long ToMinor(decimal amount) => checked((long)decimal.Round(amount * Scale, 0, MidpointRounding.AwayFromZero));

    /// <summary>An amount expressed in minor units without rounding (12.345 EUR → 1234.5).</summary>
    public decimal ToMinorExact(decimal amount) => amount * Scale;

    /// <summary>Converts integer minor units back to an amount.</summary>
    public decimal FromMinor(long minor) => minor / Scale;

    private decimal Scale => MinorDigits switch { 0 => 1m, 1 => 10m, 2 => 100m, _ => 1000m };
}
