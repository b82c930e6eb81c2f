using System.CommandLine;
using System.Text.Json;
using Treue.Server.Features.ApiKeys;
using Treue.Server.Features.Audit;
using Treue.Server.Features.Programmes;
using Treue.Storage;
using Treue.Storage.Entities;

namespace Treue.Cli.Commands;

/// <summary><c>treue programme apply|export</c>: programmes declared as JSON files.</summary>
internal static class ProgrammeCommand
{
    private static readonly JsonSerializerOptions Indented = new(TreueJson.Options) { WriteIndented = true };

    public static Command Create(CliContext cli) =>
        new("programme", "Declare programmes as JSON documents: partners, stores, earning rules, rewards") { Apply(cli), Export(cli) };

    private static Command Apply(CliContext cli)
    {
        var file = new Argument<string>("FILE") { Description = "The programme document (JSON)" };
        var createKeys = new Option<bool>("--create-keys")
        {
            Description = "When the programme is new, also create an admin and a till (pos) API key and print them once",
        };
        var command = new Command("apply", "Create or update a programme from a JSON document; applying the same document again changes nothing")
        {
            file, createKeys,
        };
        command.SetAction(async (parse, ct) =>
        {
            var path = parse.GetRequiredValue(file);
            var document = await ReadAsync(path, ct);
            if (ProgrammeApplier.Validate(document) is { } invalid)
            {
                cli.Terminal.Error.WriteLine($"error: {path} is not a valid programme:");
                foreach (var (field, message) in FieldErrors.Of(invalid.Problem()))
                    cli.Terminal.Error.WriteLine($"  {field}: {message}");
                return ExitCodes.BadInput;
            }
            return await cli.WithServicesAsync(parse, async services =>
            {
                var (result, refusal) = await services.GetRequiredService<ProgrammeApplier>().ApplyAsync(document, ct, "cli", $"treue programme apply {Path.GetFileName(path)}");
                if (refusal is not null) throw new CliError($"{path}: {refusal.Field}: {refusal.Message}");
                var say = cli.Terminal.Say;
                if (result!.Changes.Count == 0)
                {
                    say($"Programme '{document.Code}': no changes (version {result.Version}).");
                }
                else
                {
                    say($"Programme '{document.Code}' {(result.Created ? "created" : "updated")} (version {result.Version}):");
                    foreach (var change in result.Changes) say("  " + change);
                }
                if (parse.GetValue(createKeys))
                {
                    if (!result.Created)
                    {
                        say("The programme existed before, so no keys were created (use 'treue apikey create').");
                        return ExitCodes.Ok;
                    }
                    var db = services.GetRequiredService<TreueDb>();
                    var now = services.GetRequiredService<TimeProvider>().GetUtcNow().UtcDateTime;
                    var admin = await ApiKeyEndpoints.CreateAsync(db, result.ProgrammeId, "Admin (created with the programme)", ApiRole.Admin, null, now, ct, AuditActor.Cli);
                    var pos = await ApiKeyEndpoints.CreateAsync(db, result.ProgrammeId, "Till (created with the programme)", ApiRole.Pos, null, now, ct, AuditActor.Cli);
                    say("Admin API key:      " + admin.Key);
                    say("Till (pos) API key: " + pos.Key);
                    say("Keep the keys now: they are not shown again.");
                }
                return ExitCodes.Ok;
            });
        });
        return command;
    }

    private static Command Export(CliContext cli)
    {
        var code = new Argument<string>("CODE") { Description = "The programme's code" };
        var file = new Argument<string?>("FILE") { Description = "Where to write the document (default: standard output)", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("export", "Write a programme as a JSON document that 'programme apply' accepts") { code, file };
        command.SetAction((parse, ct) => cli.WithServicesAsync(parse, async services =>
        {
            var db = services.GetRequiredService<TreueDb>();
            var programme = await CliContext.ProgrammeAsync(db, parse.GetRequiredValue(code), ct);
            var document = await services.GetRequiredService<ProgrammeApplier>().ExportAsync(programme.Id, ct);
            var json = JsonSerializer.Serialize(document, Indented);
            if (parse.GetValue(file) is { Length: > 0 } path)
            {
                await File.WriteAllTextAsync(path, json + Environment.NewLine, ct);
                cli.Terminal.Say($"Wrote programme '{programme.Code}' (version {programme.ConfigVersion}) to {path}.");
            }
            else
            {
                await cli.Terminal.Data.WriteLineAsync(json.AsMemory(), ct);
            }
            return ExitCodes.Ok;
        }));
        return command;
    }

    /// <summary>Reads a document with the strict rules of the API: unknown, missing and null members are errors that name the JSON path.</summary>
    internal static async Task<ProgrammeDocument> ReadAsync(string path, CancellationToken ct)
    {
        if (!File.Exists(path)) throw new CliError($"{path}: file not found.");
        ProgrammeDocument? document;
        try
        {
            await using var stream = File.OpenRead(path);
            document = await JsonSerializer.DeserializeAsync<ProgrammeDocument>(stream, TreueJson.Strict, ct);
        }
        catch (JsonException e)
        {
            throw new CliError($"{path}: {JsonErrors.Describe(e)}");
        }
        return document ?? throw new CliError($"{path}: the file holds 'null', not a programme.");
    }
}
