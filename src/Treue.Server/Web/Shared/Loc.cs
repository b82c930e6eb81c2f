using System.Globalization;

namespace Treue.Server.Web.Shared;

/// <summary>
/// The texts of the console and the portal in the request's language. English is the key, so a missing German
/// text shows in English rather than as an empty label. Numbers, money and dates follow the culture too.
/// </summary>
public sealed partial class Loc
{
    public static readonly (string Code, string Name)[] Languages = [("en", "English"), ("de", "Deutsch")];

    /// <summary>The two-letter code of the current language.</summary>
    public string Language => CultureInfo.CurrentUICulture.TwoLetterISOLanguageName == "de" ? "de" : "en";

    public string this[string english] => Language == "de" && German.TryGetValue(english, out var de) ? de : english;

    /// <summary>A text with placeholders filled in ({0}, {1}, ...), formatted by the current culture.</summary>
    public string Format(string english, params object?[] args) => string.Format(CultureInfo.CurrentCulture, this[english], args);

    public static string Points(long points) => points.ToString("N0", CultureInfo.CurrentCulture);

    public static string SignedPoints(long points) => (points > 0 ? "+" : points < 0 ? "−" : "") + Math.Abs(points).ToString("N0", CultureInfo.CurrentCulture);

    public static string Money(decimal amount, string currency)
    {
        var format = (NumberFormatInfo)CultureInfo.CurrentCulture.NumberFormat.Clone();
        format.CurrencySymbol = currency == "EUR" ? "€" : currency;
        return amount.ToString("C", format);
    }

    public static string Date(DateTime utc, TimeZoneInfo? zone = null) =>
        (zone is null ? utc : TimeZoneInfo.ConvertTimeFromUtc(utc, zone)).ToString("d", CultureInfo.CurrentCulture);

    /// <summary>An instant (stored as UTC) as date and time in <paramref name="zone"/>, the programme's zone.</summary>
    public static string DateTime(DateTime utc, TimeZoneInfo zone) =>
        TimeZoneInfo.ConvertTimeFromUtc(System.DateTime.SpecifyKind(utc, DateTimeKind.Utc), zone).ToString("g", CultureInfo.CurrentCulture);

    /// <summary>A share (0.25) as a percentage ("25.0 %" or "25,0 %").</summary>
    public static string Percent(double share, int decimals = 1) => share.ToString("P" + decimals, CultureInfo.CurrentCulture);

    /// <summary>A number with a fixed count of decimals.</summary>
    public static string Number(double value, int decimals = 2) => value.ToString("N" + decimals, CultureInfo.CurrentCulture);

    public static string Month(DateOnly month) => month.ToString("MMM yy", CultureInfo.CurrentCulture);
}
