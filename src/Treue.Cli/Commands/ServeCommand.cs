using System.CommandLine;
using Treue.Server;

namespace Treue.Cli.Commands;

/// <summary><c>treue serve</c>: runs the API server.</summary>
internal static class ServeCommand
{
    public static Command Create(CliContext cli)
    {
        var demo = new Option<bool>("--demo")
        {
            Description = "Create the demo programme if it is missing, print its API keys and fill it with synthetic activity",
        };
        var urls = new Option<string?>("--urls")
        {
            Description = "Addresses to listen on, separated by ';' (for example http://localhost:5080)",
            HelpName = "URL",
        };
        var command = new Command("serve", "Run the Treue server (REST API, OpenAPI document and API reference at /scalar/v1)")
        {
            demo, urls,
        };
        // Anything else (--Treue:Jobs:Interval=00:01:00, --Logging:LogLevel:Default=Debug, ...) is ASP.NET Core configuration.
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(async (parse, ct) =>
        {
            var settings = new Dictionary<string, string?>();
            if (parse.GetValue(demo)) settings["Treue:Demo"] = "true";
            var listen = parse.GetValue(urls);
            await using var app = cli.BuildHost(parse, new HostRequest
            {
                Logging = true,
                Args = parse.UnmatchedTokens,
                Settings = settings,
                Configure = b => { if (!string.IsNullOrWhiteSpace(listen)) b.WebHost.UseUrls(listen); },
            });
            if (app.Configuration.GetValue<bool>("Treue:Demo"))
                await TreueApp.StartDemoAsync(app, cli.Terminal.Say);
            await app.StartAsync(ct);
            cli.Terminal.Say($"Treue is running on {string.Join(", ", app.Urls)} (API reference at /scalar/v1). Press Ctrl+C to stop.");
            await app.WaitForShutdownAsync(ct);
            return ExitCodes.Ok;
        });
        return command;
    }
}
