using CsCheck;
using Xunit;

namespace Treue.Domain.Tests;

public sealed class CurrencyTests
{
    private static readonly Currency Eur = Currency.Find("EUR")!;
    private static readonly Currency Jpy = Currency.Find("JPY")!;
    private static readonly Currency Kwd = Currency.Find("KWD")!;

    [Theory]
    [InlineData("EUR", 2)]
    [InlineData("USD", 2)]
    [InlineData("CHF", 2)]
    [InlineData("JPY", 0)]
    [InlineData("KRW", 0)]
    [InlineData("ISK", 0)]
    [InlineData("KWD", 3)]
    [InlineData("BHD", 3)]
    [InlineData("TND", 3)]
    public void Find_returns_a_known_currency_with_its_minor_digits(string code, int minorDigits)
    {
        Assert.Equal(new Currency(code, minorDigits), Currency.Find(code));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("XXX")]
    [InlineData("EURO")]
    [InlineData("EU")]
    [InlineData(" EUR")]
    public void Find_returns_null_for_an_unknown_code(string? code)
    {
        Assert.Null(Currency.Find(code));
    }

    [Theory]
    [InlineData("EUR", "12.34", true)]
    [InlineData("EUR", "12.340", true)]
    [InlineData("EUR", "12", true)]
    [InlineData("EUR", "-0.01", true)]
    [InlineData("EUR", "12.345", false)]
    [InlineData("EUR", "0.001", false)]
    [InlineData("JPY", "1500", true)]
    [InlineData("JPY", "1500.0", true)]
    [InlineData("JPY", "1500.5", false)]
    [InlineData("KWD", "1.234", true)]
    [InlineData("KWD", "1.2345", false)]
    public void IsExact_accepts_no_more_decimals_than_the_minor_unit(string code, string amount, bool exact)
    {
        Assert.Equal(exact, Currency.Find(code)!.IsExact(decimal.Parse(amount, System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Theory]
    [InlineData("EUR", "12.34", 1234)]
    [InlineData("EUR", "0", 0)]
    [InlineData("EUR", "-12.34", -1234)]
    [InlineData("EUR", "1000000", 100000000)]
    [InlineData("EUR", "0.005", 1)] // halves away from zero
    [InlineData("EUR", "-0.005", -1)]
    [InlineData("EUR", "0.004", 0)]
    [InlineData("JPY", "1500", 1500)]
    [InlineData("JPY", "0.5", 1)]
    [InlineData("KWD", "1.234", 1234)]
    [InlineData("KWD", "0.001", 1)]
    public void ToMinor_converts_to_integer_minor_units(string code, string amount, long minor)
    {
        Assert.Equal(minor, Currency.Find(code)!.ToMinor(decimal.Parse(amount, System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Fact]
    public void FromMinor_converts_back_to_an_amount()
    {
        Assert.Equal(12.34m, Eur.FromMinor(1234));
        Assert.Equal(-0.01m, Eur.FromMinor(-1));
        Assert.Equal(1500m, Jpy.FromMinor(1500));
        Assert.Equal(1.234m, Kwd.FromMinor(1234));
        Assert.Equal(0m, Kwd.FromMinor(0));
    }

    [Fact]
    public void ToMinor_of_an_amount_too_large_for_a_long_throws()
    {
        Assert.Throws<OverflowException>(() => Eur.ToMinor(1e20m));
    }

    [Theory]
    [InlineData("EUR")]
    [InlineData("JPY")]
    [InlineData("KWD")]
    public void Minor_units_round_trip_through_amounts(string code)
    {
        var currency = Currency.Find(code)!;
        Check.Sample(Gen.Long[-1_000_000_000_000_000, 1_000_000_000_000_000], minor =>
        {
            var amount = currency.FromMinor(minor);
            Assert.True(currency.IsExact(amount));
            Assert.Equal(minor, currency.ToMinor(amount));
        }, iter: 5_000);
    }

    [Theory]
    [InlineData("EUR", 100)]
    [InlineData("JPY", 1)]
    [InlineData("KWD", 1000)]
    public void Exact_amounts_round_trip_through_minor_units(string code, int unitsPerMajor)
    {
        var currency = Currency.Find(code)!;
        Check.Sample(Gen.Long[-1_000_000_000_000, 1_000_000_000_000], n =>
        {
            var amount = (decimal)n / unitsPerMajor;
            Assert.Equal(amount, currency.FromMinor(currency.ToMinor(amount)));
            Assert.Equal(n, currency.ToMinor(amount));
        }, iter: 5_000);
    }
}
