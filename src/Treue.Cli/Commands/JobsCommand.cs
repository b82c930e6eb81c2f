using System.CommandLine;
using Treue.Server.Features.Ledger;

namespace Treue.Cli.Commands;

/// <summary><c>treue jobs run</c>: the ledger's background jobs, once, for use from cron when no server runs.</summary>
internal static class JobsCommand
{
    public static Command Create(CliContext cli)
    {
        var run = new Command("run", "Post pending points whose return window has passed and expire points past their expiry, once");
        run.SetAction((parse, ct) => cli.WithServicesAsync(parse, async services =>
        {
            var (posted, expired) = await LedgerJobs.RunOnceAsync(
                services.GetRequiredService<IServiceScopeFactory>(), services.GetRequiredService<TimeProvider>(), ct);
            cli.Terminal.Say($"Posted {posted:N0} pending lot{(posted == 1 ? "" : "s")}; expired {expired:N0} lot{(expired == 1 ? "" : "s")}.");
            return ExitCodes.Ok;
        }));
        return new Command("jobs", "Run background jobs by hand") { run };
    }
}
