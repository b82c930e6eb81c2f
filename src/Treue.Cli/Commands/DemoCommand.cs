using System.CommandLine;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Spectre.Console;
using Treue.Server;
using Treue.Server.Features.Demo;
using Treue.Storage;

namespace Treue.Cli.Commands;

/// <summary><c>treue demo</c>: a living demo programme to explore the API with.</summary>
internal static class DemoCommand
{
    public static Command Create(CliContext cli)
    {
        var members = new Option<int?>("--members")
        {
            Description = "How many members to enrol (configuration Treue:DemoMembers, default 2000)",
            HelpName = "N",
        };
        members.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int?>() is < 1 or > 1_000_000) r.AddError("--members must be between 1 and 1,000,000.");
        });
        var command = new Command("demo", $"Create the demo programme '{DemoSeeder.Code}' with its API keys and eighteen months of synthetic activity") { members };
        command.SetAction((parse, ct) => cli.WithServicesAsync(parse, async services =>
        {
            var say = cli.Terminal.Say;
            var options = services.GetRequiredService<IOptions<TreueOptions>>().Value;
            var seeder = services.GetRequiredService<DemoSeeder>();
            var (programmeId, keys) = await seeder.EnsureProgrammeAsync(ct);
            // The same file the server's --demo uses, so either shows the keys again later.
            var keysFile = Path.Combine(Path.GetFullPath(options.DataFolder), "demo-api-keys.json");
            if (keys is not null)
            {
                await PrivateFiles.WriteAllTextAsync(keysFile, JsonSerializer.Serialize(keys, TreueJson.Options), ct);
                say($"Created the demo programme '{DemoSeeder.Code}'.");
            }
            else if (File.Exists(keysFile))
            {
                keys = JsonSerializer.Deserialize<DemoKeys>(await File.ReadAllTextAsync(keysFile, ct), TreueJson.Options);
            }
            if (keys is not null)
            {
                say("Admin API key:      " + keys.Admin);
                say("Till (pos) API key: " + keys.Pos);
                say($"(saved in {keysFile})");
            }
            else
            {
                say($"The demo programme exists, but its keys are not in {keysFile}; create new ones with 'treue apikey create --programme {DemoSeeder.Code}'.");
            }

            if (await seeder.HasMembersAsync(programmeId, ct))
            {
                say("The demo programme already has members: nothing to add.");
                return ExitCodes.Ok;
            }
            var count = parse.GetValue(members) ?? options.DemoMembers;
            var purchases = await cli.Terminal.Console.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                .StartAsync(async progress =>
                {
                    var task = progress.AddTask("Enrolling members", maxValue: count);
                    return await seeder.SeedActivityAsync(programmeId, count, new Reporter(n => task.Value = n), ct, yieldBetweenBatches: false);
                });
            say($"Enrolled {count:N0} members with {purchases:N0} purchases.");
            return ExitCodes.Ok;
        }));
        return command;
    }

    /// <summary>Reports progress at once, on the caller's thread (<see cref="Progress{T}"/> would post it later).</summary>
    private sealed class Reporter(Action<int> report) : IProgress<int>
    {
        public void Report(int value) => report(value);
    }
}
