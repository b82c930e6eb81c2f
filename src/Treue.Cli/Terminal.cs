using Spectre.Console;

namespace Treue.Cli;

/// <summary>
/// Where the CLI writes: <see cref="Out"/> for messages, <see cref="Data"/> for machine-readable output (CSV, JSON)
/// that may be piped elsewhere, <see cref="Error"/> for error lines, and <see cref="Console"/> for progress bars
/// and tables. Tests give it string writers.
/// </summary>
internal sealed class Terminal(IAnsiConsole console, TextWriter output, TextWriter data, TextWriter error)
{
    /// <summary>The process's console.</summary>
    public static Terminal System => new(AnsiConsole.Console, global::System.Console.Out, global::System.Console.Out, global::System.Console.Error);

    /// <summary>A terminal without colours or animation that writes to <paramref name="output"/> and <paramref name="error"/>.</summary>
    public static Terminal Plain(TextWriter output, TextWriter error) => new(
        AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        }),
        output, output, error);

    public IAnsiConsole Console => console;
    public TextWriter Out => output;
    public TextWriter Data => data;
    public TextWriter Error => error;

    /// <summary>Writes a message line. Plain text: long keys and paths are never wrapped or interpreted as markup.</summary>
    public void Say(string line) => output.WriteLine(line);
}
