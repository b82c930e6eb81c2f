using System.Globalization;
using MudBlazor;

namespace Treue.Server.Web.Shared;

/// <summary>
/// The number input of the console and the portal: reads and shows numbers in the reader's culture ("9,99" in German,
/// "9.99" in English). MudBlazor's numeric field parses with the invariant culture unless told otherwise, which reads
/// a German "9,99" as 999; every number input goes through this one type so that none is left out.
/// </summary>
public class NumberField<T> : MudNumericField<T>
{
    /// <summary>The culture of the circuit, which the request's language set.</summary>
    protected override CultureInfo GetCulture() => CultureInfo.CurrentCulture;
}
