namespace Treue.Cli;

/// <summary>
/// Stops a command with one clear line for the user and an exit code: <see cref="ExitCodes.BadInput"/> for bad
/// input (a missing file, an unknown programme, an invalid document), <see cref="ExitCodes.Failed"/> otherwise.
/// </summary>
internal sealed class CliError(string message, int exitCode = ExitCodes.BadInput) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}

/// <summary>The exit codes of <c>treue</c>.</summary>
internal static class ExitCodes
{
    public const int Ok = 0;
    public const int Failed = 1;
    public const int BadInput = 2;
    public const int Interrupted = 130;
}
