using System.Globalization;
using Treue.Server.Features.Purchases;
using ChannelKind = Treue.Domain.Earning.Channel;

namespace Treue.Cli.Import;

/// <summary>
/// The CDNOW purchase log (Fader, Hardie and Lee): whitespace-separated customer id, date (yyyymmdd), number of CDs
/// and dollar value, one purchase per row. Each row becomes one purchase of one line (sku <c>cd</c>, category
/// <c>music</c>) whose net amount is exactly the dollar value; the receipt id <c>cdnow-{customer}-{row}</c> makes
/// importing the same file again change nothing.
/// </summary>
internal static class Cdnow
{
    public const string Currency = "USD";
    public const string Sku = "cd";
    public const string Category = "music";

    private static readonly Dictionary<string, string> ColumnByField = new(StringComparer.Ordinal)
    {
        ["receiptId"] = "row", ["memberId"] = "customer_id", ["occurredAt"] = "date", ["partner"] = "--partner",
        ["currency"] = "--programme (its currency)", ["total"] = "dollar_value", ["lines.quantity"] = "number_of_cds",
        ["lines.unitPrice"] = "dollar_value", ["lines.discount"] = "dollar_value",
    };

    /// <summary>The external reference of a CDNOW customer.</summary>
    public static string MemberRef(long customer) => "cdnow-" + customer.ToString(CultureInfo.InvariantCulture);

    /// <summary>The receipt id of data row <paramref name="row"/> (counted from 1, the header not counting).</summary>
    public static string ReceiptId(long customer, int row) => $"cdnow-{customer.ToString(CultureInfo.InvariantCulture)}-{row.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>
    /// The receipt line for <paramref name="cds"/> CDs worth <paramref name="value"/> dollars: the unit price is
    /// rounded up to the cent and a line discount takes off the difference, so the line is worth exactly the value.
    /// A row without CDs is one unit at the whole value.
    /// </summary>
    public static PurchaseLineRequest Line(int cds, decimal value)
    {
        if (cds <= 0) return new PurchaseLineRequest(Sku, 1, Amounts.Canonical(value), Category);
        var unitPrice = Math.Ceiling(value * 100m / cds) / 100m;
        var discount = cds * unitPrice - value;
        return new PurchaseLineRequest(Sku, cds, Amounts.Canonical(unitPrice), Category, Amounts.Canonical(discount));
    }

    /// <summary>Reads a CDNOW file; every purchase is made at <paramref name="partner"/>.</summary>
    public static async Task<ImportFile> ReadAsync(string path, string partner, CancellationToken ct)
    {
        var file = new ImportFile(f => ColumnByField.GetValueOrDefault(f, f));
        using var reader = new StreamReader(path, detectEncodingFromByteOrderMarks: true);
        var line = 0;
        var row = 0;
        while (await reader.ReadLineAsync(ct) is { } text)
        {
            line++;
            var parts = text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (parts.Length == 0) continue;
            if (row == 0 && file.Errors.Count == 0 && !char.IsAsciiDigit(parts[0][0])) continue; // the header
            row++;
            file.Rows++;
            var error = Parse(parts, line, row, partner, out var purchase);
            if (error is not null)
            {
                file.Errors.Add(error);
                file.RejectedRows++;
            }
            else
            {
                file.Purchases.Add(purchase!);
            }
        }
        return file;
    }

    private static ImportError? Parse(string[] parts, int line, int row, string partner, out ImportedPurchase? purchase)
    {
        purchase = null;
        if (parts.Length != 4)
            return new ImportError(line, "row", $"has {parts.Length} columns; expected customer id, date (yyyymmdd), number of CDs and dollar value");
        if (!long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var customer))
            return new ImportError(line, "customer_id", $"'{parts[0]}' is not a customer number");
        if (!DateTime.TryParseExact(parts[1], "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
            return new ImportError(line, "date", $"'{parts[1]}' is not a date written yyyymmdd");
        if (!int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var cds))
            return new ImportError(line, "number_of_cds", $"'{parts[2]}' is not a whole number");
        if (!decimal.TryParse(parts[3], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value) || decimal.Round(value, 2) != value)
            return new ImportError(line, "dollar_value", $"'{parts[3]}' is not an amount in dollars and cents");

        var item = Line(cds, value);
        var request = new PurchaseRequest(ReceiptId(customer, row), partner, Currency, Amounts.Canonical(value), [item],
            Channel: ChannelKind.Online, OccurredAt: new DateTimeOffset(DateTime.SpecifyKind(date, DateTimeKind.Utc)));
        purchase = new ImportedPurchase(line, [line], MemberRef(customer), request);
        return null;
    }
}
