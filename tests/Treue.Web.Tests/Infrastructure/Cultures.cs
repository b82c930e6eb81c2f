using System.Globalization;

namespace Treue.Web.Tests.Infrastructure;

/// <summary>Runs code as a page of the console would under a UI language.</summary>
public static class Cultures
{
    /// <summary>The text <paramref name="text"/> makes with <paramref name="culture"/> as the current culture and UI culture.</summary>
    public static string In(string culture, Func<string> text)
    {
        var (before, beforeUi) = (CultureInfo.CurrentCulture, CultureInfo.CurrentUICulture);
        try
        {
            CultureInfo.CurrentCulture = CultureInfo.CurrentUICulture = CultureInfo.GetCultureInfo(culture);
            return text();
        }
        finally { (CultureInfo.CurrentCulture, CultureInfo.CurrentUICulture) = (before, beforeUi); }
    }
}
