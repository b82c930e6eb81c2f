using System.CommandLine;
using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Spectre.Console;
using Treue.Cli.Import;
using Treue.Server.Features.Purchases;
using Treue.Storage;

namespace Treue.Cli.Commands;

/// <summary><c>treue import purchases</c>: purchase histories from files.</summary>
internal static class ImportCommand
{
    private const int ErrorsShown = 10;

    public static Command Create(CliContext cli) => new("import", "Import data from files") { Purchases(cli) };

    private static Command Purchases(CliContext cli)
    {
        var file = new Argument<string>("FILE") { Description = "The file to import" };
        var programme = new Option<string>("--programme") { Description = "The programme's code", HelpName = "CODE", Required = true };
        var format = new Option<string>("--format")
        {
            Description = "csv: Treue's purchase CSV (see docs/cli.md); cdnow: the CDNOW purchase log",
            DefaultValueFactory = _ => "csv",
        };
        format.AcceptOnlyFromAmong("csv", "cdnow");
        var partner = new Option<string?>("--partner")
        {
            Description = "The partner of rows that name none (needed for CDNOW unless the programme has one partner)",
            HelpName = "CODE",
        };
        var batchSize = new Option<int>("--batch-size")
        {
            Description = "Purchases per database transaction",
            DefaultValueFactory = _ => 1000,
        };
        batchSize.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() is < 1 or > 100_000) r.AddError("--batch-size must be between 1 and 100,000.");
        });
        var bulk = new Option<bool>("--bulk")
        {
            Description = "Import a large CSV file into SQLite at full speed: streamed, in large transactions, through prepared statements. " +
                "The rows of each receipt must stand together",
        };
        var command = new Command("purchases",
            "Import purchases: members are found by external reference (and enrolled when missing), and every purchase earns points by the programme's rules. " +
            "Importing the same file again adds nothing.")
        {
            file, programme, format, partner, batchSize, bulk,
        };
        command.SetAction((parse, ct) => cli.WithServicesAsync(parse, async services =>
        {
            var path = parse.GetRequiredValue(file);
            if (!File.Exists(path)) throw new CliError($"{path}: file not found.");
            var db = services.GetRequiredService<TreueDb>();
            var p = await CliContext.ProgrammeAsync(db, parse.GetRequiredValue(programme), ct);
            var partners = await db.Partners.AsNoTracking().Where(x => x.ProgrammeId == p.Id && x.Active).Select(x => x.Code).ToListAsync(ct);
            var partnerCode = parse.GetValue(partner);
            if (partnerCode is not null && !partners.Contains(partnerCode, StringComparer.OrdinalIgnoreCase))
                throw new CliError($"'{partnerCode}' is not a partner of programme '{p.Code}' (partners: {string.Join(", ", partners)}).");
            partnerCode ??= partners.Count == 1 ? partners[0] : null;

            if (parse.GetValue(bulk))
            {
                if (parse.GetRequiredValue(format) != "csv") throw new CliError("--bulk reads Treue's purchase CSV only; import CDNOW files without --bulk.");
                if (!db.IsSqlite) throw new CliError("--bulk imports into SQLite only; on PostgreSQL, import without --bulk.");
                var size = parse.GetResult(batchSize) is { Implicit: false } ? parse.GetValue(batchSize) : BulkPurchaseImporter.DefaultBatchSize;
                return await BulkAsync(cli, db, services.GetRequiredService<TimeProvider>(), p, path, partnerCode, size, ct);
            }

            ImportFile read;
            if (parse.GetRequiredValue(format) == "cdnow")
            {
                if (p.Currency != Cdnow.Currency)
                    throw new CliError($"CDNOW amounts are US dollars, but programme '{p.Code}' runs in {p.Currency}.");
                read = await Cdnow.ReadAsync(path, partnerCode
                    ?? throw new CliError($"Name the partner of the CDNOW purchases with --partner (programme '{p.Code}' has {partners.Count} partners)."), ct);
            }
            else
            {
                read = await PurchaseCsv.ReadAsync(path, p.Currency, partnerCode, ct);
            }
            cli.Terminal.Say($"Read {read.Rows:N0} rows of {path}: {read.Purchases.Count:N0} purchases" +
                (read.RejectedRows > 0 ? $"; {read.RejectedRows:N0} row{(read.RejectedRows == 1 ? "" : "s")} cannot be imported." : "."));

            var importer = new PurchaseImporter(db, services.GetRequiredService<PurchaseRecorder>());
            var clock = Stopwatch.StartNew();
            var outcome = await cli.Terminal.Console.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                .StartAsync(async progress =>
                {
                    var task = progress.AddTask("Importing purchases", maxValue: Math.Max(1, read.Purchases.Count));
                    var outcome = await importer.ImportAsync(p.Id, read, "import:" + Path.GetFileName(path), parse.GetValue(batchSize),
                        n => task.Value = n, ct);
                    task.Value = task.MaxValue;
                    return outcome;
                });
            clock.Stop();
            Report(cli.Terminal, outcome, clock.Elapsed);
            return outcome.Rejected > 0 || outcome.RejectedRows > 0 ? ExitCodes.BadInput : ExitCodes.Ok;
        }));
        return command;
    }

    private static async Task<int> BulkAsync(CliContext cli, TreueDb db, TimeProvider clock, Treue.Storage.Entities.Programme p, string path,
        string? partnerCode, int batchSize, CancellationToken ct)
    {
        var clockTime = Stopwatch.StartNew();
        var scan = await PurchaseCsv.ScanAsync(path, partnerCode, ct);
        if (scan.Split is { } split)
            throw new CliError($"{path}: the rows of receipt '{split.ReceiptId}' start on line {split.FirstLine} and continue on line {split.ResumedLine}, " +
                "after other receipts. --bulk needs the rows of each receipt together (as 'treue export purchases' writes them): " +
                "sort the file by receipt, or import it without --bulk.");
        cli.Terminal.Say($"Read {scan.Rows:N0} rows of {path}: {scan.Receipts:N0} receipts.");
        var importer = new BulkPurchaseImporter(db, clock);
        var outcome = await cli.Terminal.Console.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .StartAsync(async progress =>
            {
                var task = progress.AddTask("Importing purchases", maxValue: Math.Max(1, scan.Receipts));
                var outcome = await importer.ImportAsync(p.Id, path, partnerCode, "import:" + Path.GetFileName(path), batchSize, n => task.Value = n, ct);
                task.Value = task.MaxValue;
                return outcome;
            });
        clockTime.Stop();
        Report(cli.Terminal, outcome, clockTime.Elapsed);
        return outcome.Rejected > 0 || outcome.RejectedRows > 0 ? ExitCodes.BadInput : ExitCodes.Ok;
    }

    private static void Report(Terminal terminal, ImportOutcome outcome, TimeSpan elapsed)
    {
        var table = new Table().Border(TableBorder.Rounded).AddColumn("Purchases").AddColumn(new TableColumn("Count").RightAligned());
        table.AddRow("New", $"{outcome.New:N0}");
        table.AddRow("Already there", $"{outcome.AlreadyThere:N0}");
        table.AddRow("Rejected", $"{outcome.Rejected:N0}");
        table.AddRow("Rows rejected", $"{outcome.RejectedRows:N0}");
        table.AddRow("Members enrolled", $"{outcome.MembersEnrolled:N0}");
        table.AddRow("Points earned", $"{outcome.PointsEarned:N0}");
        terminal.Console.Write(table);
        var perSecond = elapsed.TotalSeconds > 0 ? (outcome.New + outcome.AlreadyThere) / elapsed.TotalSeconds : 0;
        terminal.Say($"Done in {elapsed.TotalSeconds:N1} s ({perSecond:N0} purchases/s).");
        if (outcome.Errors.Count == 0) return;
        terminal.Error.WriteLine(outcome.Errors.Count <= ErrorsShown
            ? "Rows not imported:"
            : $"Rows not imported (the first {ErrorsShown} of {outcome.Errors.Count:N0} errors):");
        foreach (var e in outcome.Errors.Take(ErrorsShown)) terminal.Error.WriteLine("  " + e);
    }
}
