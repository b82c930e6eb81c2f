using System.Globalization;

namespace Treue.Analytics.Clv;

/// <summary>
/// Purchases read from a CDNOW purchase log, with the original customer id of every dense customer index.
/// </summary>
/// <param name="Events">The purchases in file order (each customer's purchases are chronological in both published files).</param>
/// <param name="CustomerIds">The id from the file of each dense customer index used in <paramref name="Events"/>.</param>
public sealed record CdnowData(PurchaseEvent[] Events, long[] CustomerIds);

/// <summary>
/// Reads the CDNOW purchase log of Fader, Hardie and Lee (2005): <c>CDNOW_master.txt</c> (customer id, yyyymmdd,
/// number of CDs, dollar value; a header line) and <c>CDNOW_sample.txt</c> (master id, sample id, yyyymmdd, number
/// of CDs, dollar value; no header).
/// </summary>
/// <remarks>
/// The sample's summary files number customers by the sample id, so the sample id is the customer id of a five-column
/// file. Customers get dense indexes in order of first appearance. Dollar values become cents exactly.
/// </remarks>
public static class CdnowFile
{
    /// <summary>Reads a CDNOW file from disk.</summary>
    /// <param name="path">Path of <c>CDNOW_master.txt</c>, <c>CDNOW_sample.txt</c> or a file in either layout.</param>
    /// <returns>The purchases and the customer ids.</returns>
    /// <exception cref="FormatException">A row is not in either layout.</exception>
    public static CdnowData Read(string path)
    {
        using var reader = new StreamReader(path);
        return Read(reader);
    }

    /// <summary>Reads CDNOW rows from a text reader.</summary>
    /// <param name="reader">The rows; a first line that does not start with a digit is taken as a header.</param>
    /// <returns>The purchases and the customer ids.</returns>
    /// <exception cref="FormatException">A row is not in either layout.</exception>
    public static CdnowData Read(TextReader reader)
    {
        var events = new List<PurchaseEvent>();
        var ids = new List<long>();
        var indexById = new Dictionary<long, int>();
        var lineNumber = 0;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            var parts = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 0) continue;
            if (events.Count == 0 && !char.IsAsciiDigit(parts[0][0])) continue;
            if (parts.Length is not (4 or 5))
                throw new FormatException($"Line {lineNumber}: {parts.Length} columns; expected 4 (master) or 5 (sample).");
            var offset = parts.Length - 4;
            if (!long.TryParse(parts[offset], NumberStyles.None, CultureInfo.InvariantCulture, out var id))
                throw new FormatException($"Line {lineNumber}: '{parts[offset]}' is not a customer id.");
            if (!DateOnly.TryParseExact(parts[offset + 1], "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
                throw new FormatException($"Line {lineNumber}: '{parts[offset + 1]}' is not a yyyymmdd date.");
            if (!decimal.TryParse(parts[offset + 3], NumberStyles.AllowDecimalPoint | NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var dollars))
                throw new FormatException($"Line {lineNumber}: '{parts[offset + 3]}' is not a dollar value.");
            if (!indexById.TryGetValue(id, out var customer))
            {
                customer = ids.Count;
                indexById.Add(id, customer);
                ids.Add(id);
            }
            events.Add(new PurchaseEvent(customer, day, (long)Math.Round(dollars * 100m, MidpointRounding.AwayFromZero)));
        }
        return new CdnowData([.. events], [.. ids]);
    }
}
