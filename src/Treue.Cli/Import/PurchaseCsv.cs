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

    /// <summary>Maps a field of a purchase request to the column of the file it came from.</summary>
    internal static string ColumnOf(string field) => ColumnByField.GetValueOrDefault(field, field);

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
            var columns = await ColumnsAsync(csv, path, ct);
            var receipts = new Dictionary<(string Partner, string Receipt), Receipt>();
            var order = new List<Receipt>();
            while (await csv.ReadAsync(ct))
            {
                file.Rows++;
                var row = ReadRow(Values(csv, columns, new Dictionary<string, string>(StringComparer.Ordinal)), checked((int)csv.LineNumber), currency, defaultPartner);
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

    /// <summary>Reads the header row and finds the columns Treue knows, refusing a file that lacks a required one.</summary>
    private static async Task<Dictionary<string, int>> ColumnsAsync(CsvReader csv, string path, CancellationToken ct)
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
        return columns;
    }

    private static Dictionary<string, string> Values(CsvReader csv, Dictionary<string, int> columns, Dictionary<string, string> values)
    {
        values.Clear();
        foreach (var (name, index) in columns)
        {
            if (index < csv.FieldCount && !csv.IsEmpty(index)) values[name] = csv.GetString(index);
        }
        return values;
    }

    /// <summary>
    /// Checks, without keeping the rows, that the rows of every receipt stand together in the file, as the streaming
    /// reader needs. Keeps one 64-bit hash per receipt (80 MB for 10 million receipts).
    /// </summary>
    /// <returns>The number of data rows and receipts, and the first receipt whose rows are split, if any.</returns>
    public static async Task<ReceiptScan> ScanAsync(string path, string? defaultPartner, CancellationToken ct)
    {
        var hashes = new List<ulong>();
        var rows = 0;
        await using (var csv = CsvReader.FromFile(path, ReaderOptions))
        {
            try
            {
                var columns = await ColumnsAsync(csv, path, ct);
                var receiptColumn = columns[ReceiptId];
                var partnerColumn = columns.GetValueOrDefault(Partner, -1);
                ulong? current = null;
                while (await csv.ReadAsync(ct))
                {
                    rows++;
                    if (Key(csv, receiptColumn, partnerColumn, defaultPartner) is not { } key) continue;
                    if (key == current) continue;
                    hashes.Add(key);
                    current = key;
                }
            }
            catch (CsvFormatException e)
            {
                var at = e.LineNumber > 0 ? $"line {e.LineNumber}: " : "";
                throw new CliError($"{path}: {at}not valid CSV: {e.Message.ReplaceLineEndings(" ")}");
            }
        }
        var receipts = hashes.Count;
        var sorted = hashes.ToArray();
        hashes.Clear();
        Array.Sort(sorted);
        ulong? split = null;
        for (var i = 1; i < sorted.Length; i++)
        {
            if (sorted[i] != sorted[i - 1]) continue;
            split = sorted[i];
            break;
        }
        if (split is null) return new ReceiptScan(rows, receipts, null);

        // Rare: read the file once more to name the receipt and the lines where it breaks off and resumes.
        await using var again = CsvReader.FromFile(path, ReaderOptions);
        var cols = await ColumnsAsync(again, path, ct);
        int? seenAt = null;
        ulong? previous = null;
        while (await again.ReadAsync(ct))
        {
            if (Key(again, cols[ReceiptId], cols.GetValueOrDefault(Partner, -1), defaultPartner) is not { } key) continue;
            if (key == split && previous != split)
            {
                var line = checked((int)again.LineNumber);
                if (seenAt is { } first) return new ReceiptScan(rows, receipts, new SplitReceipt(again.GetString(cols[ReceiptId]).Trim(), first, line));
                seenAt = line;
            }
            previous = key;
        }
        return new ReceiptScan(rows, receipts, null);
    }

    /// <summary>A 64-bit FNV-1a hash of the receipt's key (partner and receipt id, as <see cref="ReadAsync"/> groups them).</summary>
    private static ulong? Key(CsvReader csv, int receiptColumn, int partnerColumn, string? defaultPartner)
    {
        if (receiptColumn >= csv.FieldCount || csv.IsEmpty(receiptColumn)) return null;
        var receipt = csv.GetString(receiptColumn).AsSpan().Trim();
        if (receipt.IsEmpty) return null;
        var partner = partnerColumn >= 0 && partnerColumn < csv.FieldCount && !csv.IsEmpty(partnerColumn)
            ? csv.GetString(partnerColumn).AsSpan().Trim()
            : [];
        if (partner.IsEmpty) partner = defaultPartner;
        var hash = 14695981039346656037UL;
        foreach (var c in partner) hash = (hash ^ c) * 1099511628211UL;
        hash = (hash ^ 0xFFFF) * 1099511628211UL;
        foreach (var c in receipt) hash = (hash ^ c) * 1099511628211UL;
        return hash;
    }

    /// <summary>
    /// Reads a purchase CSV file whose receipts each stand on adjacent rows, handing the purchases and the rows that
    /// cannot be imported to <paramref name="onChunk"/> in file order, a chunk at a time, so that files of any size
    /// are read in constant memory. Rows are read exactly as <see cref="ReadAsync"/> reads them.
    /// </summary>
    public static async Task ReadGroupedAsync(string path, string currency, string? defaultPartner, int chunkSize,
        Func<ImportChunk, ValueTask> onChunk, CancellationToken ct)
    {
        await using var csv = CsvReader.FromFile(path, ReaderOptions);
        try
        {
            var columns = await ColumnsAsync(csv, path, ct);
            var values = new Dictionary<string, string>(StringComparer.Ordinal);
            var chunk = new ImportChunk();
            (string, string)? key = null;
            Receipt? receipt = null;
            async ValueTask Close()
            {
                if (receipt is null) return;
                var errors = receipt.Check();
                if (errors.Count > 0)
                {
                    chunk.Errors.AddRange(errors);
                    chunk.RejectedRows += receipt.Rows.Count;
                }
                else
                {
                    chunk.Purchases.Add(receipt.ToPurchase());
                }
                receipt = null;
                if (chunk.Purchases.Count + chunk.Errors.Count >= chunkSize)
                {
                    await onChunk(chunk);
                    chunk = new ImportChunk();
                }
            }
            while (await csv.ReadAsync(ct))
            {
                chunk.Rows++;
                var row = ReadRow(Values(csv, columns, values), checked((int)csv.LineNumber), currency, defaultPartner);
                if (row.ReceiptId is null)
                {
                    chunk.RejectedRows++;
                    chunk.Errors.AddRange(row.Errors);
                    continue;
                }
                var rowKey = (row.Partner ?? "", row.ReceiptId);
                if (rowKey != key)
                {
                    await Close();
                    receipt = new Receipt(row);
                    key = rowKey;
                }
                receipt!.Add(row);
            }
            await Close();
            await onChunk(chunk);
        }
        catch (CsvFormatException e)
        {
            var at = e.LineNumber > 0 ? $"line {e.LineNumber}: " : "";
            throw new CliError($"{path}: {at}not valid CSV: {e.Message.ReplaceLineEndings(" ")}");
        }
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

/// <summary>What <see cref="PurchaseCsv.ScanAsync"/> found.</summary>
/// <param name="Rows">Data rows.</param>
/// <param name="Receipts">Receipts (runs of adjacent rows with one receipt id).</param>
/// <param name="Split">The first receipt whose rows do not stand together, if any.</param>
internal sealed record ReceiptScan(int Rows, int Receipts, SplitReceipt? Split);

/// <summary>A receipt whose rows are interrupted by other receipts: it starts on one line and continues on another.</summary>
internal sealed record SplitReceipt(string ReceiptId, int FirstLine, int ResumedLine);

/// <summary>Consecutive purchases of a file, and the rows among them that cannot be imported.</summary>
internal sealed class ImportChunk
{
    public List<ImportedPurchase> Purchases { get; } = [];
    public List<ImportError> Errors { get; } = [];
    /// <summary>Data rows read for this chunk.</summary>
    public int Rows { get; set; }
    public int RejectedRows { get; set; }
}
