using System.CommandLine;
using System.CommandLine.Invocation;
using Treue.Cli.Commands;

namespace Treue.Cli;

/// <summary>The <c>treue</c> command: parses the command line, runs one command and turns failures into exit codes.</summary>
internal static class Cli
{
    /// <summary>Runs the command line <paramref name="args"/> and returns the exit code.</summary>
    /// <param name="args">The command line.</param>
    /// <param name="terminal">Where output goes.</param>
    /// <param name="replaceServices">Changes to the server's services (tests replace the clock).</param>
    /// <param name="ct">Stops long-running commands such as <c>serve</c> and <c>import</c>.</param>
    public static async Task<int> RunAsync(string[] args, Terminal terminal, Action<IServiceCollection>? replaceServices = null, CancellationToken ct = default)
    {
        var cli = new CliContext(terminal, replaceServices);
        var serve = ServeCommand.Create(cli);
        var root = new RootCommand("Treue: customer loyalty. Runs the server and manages programmes, keys, data imports and exports.")
        {
            serve,
            DbCommand.Create(cli),
            ProgrammeCommand.Create(cli),
            ApiKeyCommand.Create(cli),
            DemoCommand.Create(cli),
            ImportCommand.Create(cli),
            ExportCommand.Create(cli),
            JobsCommand.Create(cli),
            ReportCommand.Create(cli),
        };
        root.Options.Add(cli.Data);
        root.Options.Add(cli.Connection);

        var parse = root.Parse(args);
        if (parse.Errors.Count > 0 && parse.Action is ParseErrorAction)
        {
            foreach (var error in parse.Errors) terminal.Error.WriteLine("error: " + error.Message);
            var command = string.Join(' ', CommandPath(parse.CommandResult.Command));
            terminal.Error.WriteLine($"Run '{command} --help' for usage.");
            return ExitCodes.BadInput;
        }

        var invocation = new InvocationConfiguration
        {
            Output = terminal.Out,
            Error = terminal.Error,
            EnableDefaultExceptionHandler = false,
            // The server handles Ctrl+C itself and shuts down gracefully; other commands see it as cancellation.
            ProcessTerminationTimeout = parse.CommandResult.Command == serve ? null : TimeSpan.FromSeconds(10),
        };
        try
        {
            return await parse.InvokeAsync(invocation, ct);
        }
        catch (CliError e)
        {
            terminal.Error.WriteLine("error: " + e.Message);
            return e.ExitCode;
        }
        catch (OperationCanceledException)
        {
            terminal.Error.WriteLine("Interrupted.");
            return ExitCodes.Interrupted;
        }
        catch (Exception e)
        {
            terminal.Error.WriteLine("error: " + Describe(e));
            return ExitCodes.Failed;
        }
    }

    /// <summary>One line for an unexpected failure: its message and, when it wraps another, the innermost cause.</summary>
    internal static string Describe(Exception e)
    {
        var inner = e;
        while (inner.InnerException is not null) inner = inner.InnerException;
        var text = inner == e ? e.Message : $"{e.Message} ({inner.Message})";
        return text.ReplaceLineEndings(" ");
    }

    private static IEnumerable<string> CommandPath(Command command)
    {
        var path = new List<string>();
        for (Symbol? s = command; s is not null; s = s.Parents.FirstOrDefault())
            path.Insert(0, s is RootCommand ? "treue" : s.Name);
        return path;
    }
}
