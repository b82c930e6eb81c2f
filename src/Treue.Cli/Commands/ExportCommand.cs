using System.CommandLine;
using System.Globalization;
using CsvHelper;
using Microsoft.EntityFrameworkCore;
using Treue.Cli.Import;
using Treue.Domain;
using Treue.Domain.Earning;
using Treue.Storage;
using Treue.Storage.Entities;

namespace Treue.Cli.Commands;

/// <summary><c>treue export members|purchases|ledger</c>: a programme's data as CSV.</summary>
internal static class ExportCommand
{
    public static Command Create(CliContext cli) => new("export", "Export a programme's data as CSV")
    {
        // Names and e-mail addresses are typed by members: a spreadsheet must show them as text, never run them as formulas.
        Table(cli, "members", "Members with their balances", WriteMembersAsync, CsvWriterOptions.Default with { Injection = CsvInjection.Escape }),
        Table(cli, "purchases", "Purchases, one row per line, in the import format plus purchase_id and points", WritePurchasesAsync),
        Table(cli, "ledger", "Ledger entries with the transaction they belong to and its explanation", WriteLedgerAsync),
    };

    private delegate Task<int> Writer(TreueDb db, Programme programme, CsvWriter csv, CancellationToken ct);

    private static Command Table(CliContext cli, string name, string description, Writer write, CsvWriterOptions? options = null)
    {
        options ??= CsvWriterOptions.Default;
        var programme = new Option<string>("--programme") { Description = "The programme's code", HelpName = "CODE", Required = true };
        var output = new Option<string?>("--out") { Description = "The CSV file to write (default: standard output)", HelpName = "FILE" };
        var command = new Command(name, description) { programme, output };
        command.SetAction((parse, ct) => cli.WithServicesAsync(parse, async services =>
        {
            var db = services.GetRequiredService<TreueDb>();
            var p = await CliContext.ProgrammeAsync(db, parse.GetRequiredValue(programme), ct);
            var path = parse.GetValue(output);
            int rows;
            if (path is null)
            {
                rows = await WriteAsync(cli.Terminal.Data);
            }
            else
            {
                await using (var file = new StreamWriter(path, append: false))
                    rows = await WriteAsync(file);
                cli.Terminal.Say($"Wrote {rows:N0} {name} rows of programme '{p.Code}' to {path}.");
            }
            return ExitCodes.Ok;

            async Task<int> WriteAsync(TextWriter writer)
            {
                await using var csv = CsvWriter.Create(writer, options, leaveOpen: true);
                var n = await write(db, p, csv, ct);
                await csv.FlushAsync(ct);
                return n;
            }
        }));
        return command;
    }

    private static async Task<int> WriteMembersAsync(TreueDb db, Programme p, CsvWriter csv, CancellationToken ct)
    {
        csv.WriteHeader(["id", "external_ref", "name", "email", "language", "status", "enrolled_at", "available", "pending"]);
        var rows = 0;
        var members = db.Members.AsNoTracking().Where(m => m.ProgrammeId == p.Id).OrderBy(m => m.EnrolledAt).ThenBy(m => m.Id).AsAsyncEnumerable();
        await foreach (var m in members.WithCancellation(ct))
        {
            csv.WriteField(m.Id, default);
            csv.WriteField(m.ExternalRef);
            csv.WriteField(m.Name);
            csv.WriteField(m.Email);
            csv.WriteField(m.Language);
            csv.WriteField(Lower(m.Status));
            csv.WriteField(m.EnrolledAt, Time);
            csv.WriteField(m.Available, default);
            csv.WriteField(m.Pending, default);
            await csv.EndRecordAsync(ct);
            rows++;
        }
        return rows;
    }

    private static async Task<int> WritePurchasesAsync(TreueDb db, Programme p, CsvWriter csv, CancellationToken ct)
    {
        csv.WriteHeader(["purchase_id", .. PurchaseCsv.Columns, "points"]);
        var currency = Currency.Find(p.Currency)!;
        var money = "F" + currency.MinorDigits.ToString(CultureInfo.InvariantCulture);
        var lines =
            from l in db.PurchaseLines.AsNoTracking()
            join x in db.Purchases.AsNoTracking() on l.PurchaseId equals x.Id
            join m in db.Members.AsNoTracking() on x.MemberId equals m.Id into ms
            from m in ms.DefaultIfEmpty()
            where l.ProgrammeId == p.Id
            orderby x.OccurredAt, x.Id, l.LineNo
            select new
            {
                x.Id, x.ReceiptId, MemberRef = m == null ? null : m.ExternalRef, x.CardNumber, x.PartnerCode, x.StoreCode, x.Channel,
                x.OccurredAt, x.Currency, l.LineNo, l.Sku, l.Category, l.Quantity, l.UnitPriceMinor, l.DiscountMinor, l.Points,
            };
        var rows = 0;
        await foreach (var l in lines.AsAsyncEnumerable().WithCancellation(ct))
        {
            csv.WriteField(l.Id, default);
            csv.WriteField(l.ReceiptId);
            csv.WriteField(l.MemberRef);
            csv.WriteField(l.CardNumber);
            csv.WriteField(l.PartnerCode);
            csv.WriteField(l.StoreCode);
            csv.WriteField(Lower(l.Channel));
            csv.WriteField(l.OccurredAt, Time);
            csv.WriteField(l.Currency);
            csv.WriteField(l.LineNo, default);
            csv.WriteField(l.Sku);
            csv.WriteField(l.Category);
            csv.WriteField(Amounts.Canonical(l.Quantity), default);
            csv.WriteField(currency.FromMinor(l.UnitPriceMinor), money);
            csv.WriteField(currency.FromMinor(l.DiscountMinor), money);
            csv.WriteField(l.Points, default);
            await csv.EndRecordAsync(ct);
            rows++;
        }
        return rows;
    }

    private static async Task<int> WriteLedgerAsync(TreueDb db, Programme p, CsvWriter csv, CancellationToken ct)
    {
        csv.WriteHeader(["transaction_id", "member_id", "kind", "occurred_at", "account", "amount", "explanation"]);
        // By pages of transactions, so that the explanations of earnings, stored once with their purchases, are put
        // back a page at a time.
        var rows = 0;
        var last = 0L;
        while (true)
        {
            var page = await db.LedgerTransactions.AsNoTracking().Where(t => t.ProgrammeId == p.Id && t.Id > last)
                .OrderBy(t => t.Id).Take(1000).Include(t => t.Entries).ToListAsync(ct);
            if (page.Count == 0) break;
            await EarnExplanations.FillAsync(db, page, ct);
            foreach (var t in page)
            {
                foreach (var e in t.Entries.OrderBy(e => e.Id))
                {
                    csv.WriteField(t.Id, default);
                    csv.WriteField(t.MemberId, default);
                    csv.WriteField(Lower(t.Kind));
                    csv.WriteField(t.OccurredAt, Time);
                    csv.WriteField(e.Account);
                    csv.WriteField(e.Amount, default);
                    csv.WriteField(Explain(t.Explanation, t.Reason));
                    await csv.EndRecordAsync(ct);
                    rows++;
                }
            }
            last = page[^1].Id;
        }
        return rows;
    }

    private static string Explain(List<Contribution> explanation, string? reason)
    {
        var parts = explanation.Select(c => $"{c.Name}: {c.Points.ToString("+#;-#;0", CultureInfo.InvariantCulture)}");
        return string.Join("; ", reason is null ? parts : parts.Prepend(reason));
    }

    private static string Lower<T>(T value) where T : struct, Enum => value.ToString().ToLowerInvariant();

    /// <summary>UTC in ISO 8601, without fractional seconds when there are none.</summary>
    private const string Time = "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'";
}
