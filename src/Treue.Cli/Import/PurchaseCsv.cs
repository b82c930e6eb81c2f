using System.Globalization;
using CsvHelper;
using Treue.Server.Features.Purchases;
using ChannelKind = Treue.Domain.Earning.Channel;

namespace Treue.Cli.Import;

/// <summary>
/// The purchase CSV format: a header row, then one row per receipt line. Rows with the same receipt id (and partner)
/// form one purchase. <c>treue export purchases</c> writes the same columns, plus <c>purchase_id</c> and <c>points</c>.
/// </summary>
internal static class PurchaseCsv
{
    public const string ReceiptId = "receipt_id";
    public const string MemberRef = "member_ref";
    public const string CardNumber = "card_number";
    public const string Partner = "partner";
    public const string Store = "store";
    public const string Channel = "channel";
    public const string OccurredAt = "occurred_at";
    public const string Currency = "currency";
    public const string LineNo = "line_no";
    public const string Sku = "sku";
    public const string Category = "category";
    public const string Quantity = "quantity";
    public const string UnitPrice = "unit_price";
    public const string Discount = "discount";

    /// <summary>The columns in the order they are written.</summary>
    public static readonly string[] Columns =
        [ReceiptId, MemberRef, CardNumber, Partner, Store, Channel, OccurredAt, Currency, LineNo, Sku, Category, Quantity, UnitPrice, Discount];

    private static readonly string[] Required = [ReceiptId, OccurredAt, Sku, Quantity, UnitPrice];

    private static readonly Dictionary<string, string> ColumnByField = new(StringComparer.Ordinal)
    {
        ["receiptId"] = ReceiptId, ["partner"] = Partner, ["store"] = Store, ["channel"] = Channel, ["currency"] = Currency,
        ["occurredAt"] = OccurredAt, ["cardNumber"] = CardNumber, ["memberId"] = MemberRef, ["anonymous"] = MemberRef,
        ["total"] = "total (the sum of the lines)", ["lines"] = ReceiptId,
        ["lines.sku"] = Sku, ["lines.category"] = Category, ["lines.quantity"] = Quantity, ["lines.unitPrice"] = UnitPrice,
        ["lines.discount"] = Discount,
    };

    /// <summary>How purchase files are read: comma-separated with a header row, values trimmed, lines counted for error messages.</summary>
    internal static CsvReaderOptions ReaderOptions => CsvReaderOptions.Default with
    {
        Separator = ',',
        HasHeader = true,
        TrimWhitespace = true,
        TrackLineNumbers = true,
        MalformedData = CsvMalformedDataHandling.Throw,
    };

    /// <summary>Reads a purchase CSV file.</summary>
    /// <param name="path">The file.</param>
    /// <param name="currency">The programme's currency, for rows without one.</param>
    /// <param name="defaultPartner">The partner of rows without one.</param>
    /// <param name="ct">Cancellation.</param>
    public static async Task<ImportFile> ReadAsync(string path, string currency, string? defaultPartner, CancellationToken ct)
    {
        var file = new ImportFile(f => ColumnByField.GetValueOrDefault(f, f));
        await using var csv = CsvReader.FromFile(path, ReaderOptions);
        try
        {
            await csv.ReadHeaderAsync(ct);
            if (csv.Headers.Count == 0) throw new CliError($"{path}: the file is empty; its first row must name the columns.");
            var columns = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var name in Columns)
            {
                if (csv.TryGetFieldIndex(name, out var index)) columns[name] = index;
            }
            var missing = Required.Where(c => !columns.ContainsKey(c)).ToList();
            if (missing.Count > 0)
                throw new CliError($"{path}: the header row lacks the column{(missing.Count == 1 ? "" : "s")} {string.Join(", ", missing)}.");

            var receipts = new Dictionary<(string Partner, string Receipt), Receipt>();
            var order = new List<Receipt>();
            while (await csv.ReadAsync(ct))
            {
                file.Rows++;
                var values = new Dictionary<string, string>(StringComparer.Ordinal);
                foreach (var (name, index) in columns)
                {
                    if (index < csv.FieldCount && !csv.IsEmpty(index)) values[name] = csv.GetString(index);
                }
                var row = ReadRow(values, checked((int)csv.LineNumber), currency, defaultPartner);
                if (row.ReceiptId is null)
                {
                    file.RejectedRows++;
                    file.Errors.AddRange(row.Errors);
                    continue;
                }
                var key = (row.Partner ?? "", row.ReceiptId);
                if (!receipts.TryGetValue(key, out var receipt))
                {
                    receipt = new Receipt(row);
                    receipts[key] = receipt;
                    order.Add(receipt);
                }
                receipt.Add(row);
            }

            foreach (var receipt in order)
            {
                var errors = receipt.Check();
                if (errors.Count > 0)
                {
                    file.Errors.AddRange(errors);
                    file.RejectedRows += receipt.Rows.Count;
                    continue;
                }
                file.Purchases.Add(receipt.ToPurchase());
            }
        }
        catch (CsvFormatException e)
        {
            var at = e.LineNumber > 0 ? $"line {e.LineNumber}: " : "";
            throw new CliError($"{path}: {at}not valid CSV: {e.Message.ReplaceLineEndings(" ")}");
        }
        file.Errors.Sort((a, b) => a.Line.CompareTo(b.Line));
        return file;
    }

    private sealed record Row(int Line, string? ReceiptId, string? MemberRef, string? CardNumber, string? Partner, string? Store,
        ChannelKind Channel, DateTimeOffset OccurredAt, string Currency, int? LineNo, PurchaseLineRequest? Item, List<ImportError> Errors);

    private static Row ReadRow(Dictionary<string, string> values, int line, string currency, string? defaultPartner)
    {
        var errors = new List<ImportError>();
        string? Text(string column) => values.TryGetValue(column, out var v) && !string.IsNullOrWhiteSpace(v) ? v.Trim() : null;
        var receiptId = Text(ReceiptId);
        void Fail(string column, string message) => errors.Add(new ImportError(line, column, message, receiptId));

        if (receiptId is null) Fail(ReceiptId, "is required");
        var partner = Text(Partner) ?? defaultPartner;
        if (partner is null) Fail(Partner, "is required (or name the partner with --partner)");
        var channel = ChannelKind.Store;
        if (Text(Channel) is { } c && (!Enum.TryParse(c, ignoreCase: true, out channel) || char.IsAsciiDigit(c[0]) || !Enum.IsDefined(channel)))
            Fail(Channel, $"'{c}' is not store, online or app");
        var occurredAt = default(DateTimeOffset);
        if (Text(OccurredAt) is not { } at) Fail(OccurredAt, "is required");
        else if (!TryParseTime(at, out occurredAt)) Fail(OccurredAt, $"'{at}' is not an ISO 8601 date or time (2025-03-01 or 2025-03-01T14:30:00Z)");
        int? lineNo = null;
        if (Text(LineNo) is { } n)
        {
            if (int.TryParse(n, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) && parsed > 0) lineNo = parsed;
            else Fail(LineNo, $"'{n}' is not a positive whole number");
        }
        var sku = Text(Sku);
        if (sku is null) Fail(Sku, "is required");
        var quantity = Number(Quantity, required: true);
        var unitPrice = Number(UnitPrice, required: true);
        var discount = Number(Discount, required: false) ?? 0m;

        decimal? Number(string column, bool required)
        {
            var text = Text(column);
            if (text is null)
            {
                if (required) Fail(column, "is required");
                return null;
            }
            if (decimal.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value))
                return Amounts.Canonical(value);
            Fail(column, $"'{text}' is not a number (write decimals with a point, without thousands separators)");
            return null;
        }

        var item = errors.Count == 0 ? new PurchaseLineRequest(sku!, quantity!.Value, unitPrice!.Value, Text(Category), discount) : null;
        return new Row(line, receiptId, Text(MemberRef), Text(CardNumber), partner, Text(Store), channel, occurredAt,
            Text(Currency) ?? currency, lineNo, item, errors);
    }

    /// <summary>ISO 8601 dates and times; without an offset they are UTC.</summary>
    internal static bool TryParseTime(string text, out DateTimeOffset value)
    {
        value = default;
        if (text.Length < 10 || !char.IsAsciiDigit(text[0]) || text[4] != '-' || text[7] != '-') return false;
        if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out value))
            return false;
        value = value.ToUniversalTime();
        return true;
    }

    /// <summary>The rows of one receipt as they are read.</summary>
    private sealed class Receipt(Row first)
    {
        public List<Row> Rows { get; } = [];

        public void Add(Row row) => Rows.Add(row);

        public List<ImportError> Check()
        {
            var errors = Rows.SelectMany(r => r.Errors).ToList();
            foreach (var row in Rows.Skip(1))
            {
                void Same<T>(T a, T b, string column)
                {
                    if (!EqualityComparer<T>.Default.Equals(a, b))
                        errors.Add(new ImportError(row.Line, column, $"differs from line {first.Line} of the same receipt", row.ReceiptId));
                }
                Same(row.MemberRef, first.MemberRef, MemberRef);
                Same(row.CardNumber, first.CardNumber, CardNumber);
                Same(row.Store, first.Store, Store);
                Same(row.Channel, first.Channel, Channel);
                Same(row.OccurredAt, first.OccurredAt, OccurredAt);
                Same(row.Currency, first.Currency, Currency);
            }
            foreach (var dup in Rows.Where(r => r.LineNo is not null).GroupBy(r => r.LineNo).Where(g => g.Count() > 1))
            {
                foreach (var row in dup.Skip(1))
                    errors.Add(new ImportError(row.Line, LineNo, $"line {dup.Key} appears more than once in the receipt", row.ReceiptId));
            }
            return errors;
        }

        public ImportedPurchase ToPurchase()
        {
            var rows = Rows.Select((r, i) => (Row: r, Order: r.LineNo ?? i + 1, Position: i))
                .OrderBy(x => x.Order).ThenBy(x => x.Position).Select(x => x.Row).ToList();
            var lines = rows.Select(r => r.Item!).ToList();
            var total = Amounts.Canonical(lines.Sum(l => l.Quantity * l.UnitPrice - l.Discount));
            // A card identifies the member by itself; the external reference is used when no card is given.
            var memberRef = first.CardNumber is null ? first.MemberRef : null;
            var request = new PurchaseRequest(first.ReceiptId!, first.Partner!, first.Currency, total, lines,
                Store: first.Store, Channel: first.Channel, CardNumber: first.CardNumber,
                Anonymous: first.CardNumber is null && first.MemberRef is null, OccurredAt: first.OccurredAt);
            return new ImportedPurchase(first.Line, rows.Select(r => r.Line).ToList(), memberRef, request);
        }
    }
}
