using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Treue.Storage;

namespace Treue.Cli.Tests.Infrastructure;

/// <summary>What one run of <c>treue</c> printed and returned.</summary>
public sealed record CliRun(int ExitCode, string Out, string Error)
{
    public override string ToString() => $"exit code {ExitCode}\n--- stdout ---\n{Out}\n--- stderr ---\n{Error}";
}

/// <summary>
/// Runs the <c>treue</c> command in-process against its own temporary data folder (a SQLite file), as a user would
/// run it from a shell. Each test makes its own.
/// </summary>
public sealed class TestCli : IDisposable
{
    public TestCli()
    {
        Folder = Path.Combine(Path.GetTempPath(), "treue-cli-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(Folder);
    }

    /// <summary>The temporary folder; the data folder is <c>data</c> inside it.</summary>
    public string Folder { get; }

    public string DataFolder => Path.Combine(Folder, "data");

    /// <summary>The clock the commands see, when a test needs to move time.</summary>
    public TimeProvider? Clock { get; init; }

    /// <summary>Runs <c>treue ARGS --data DATA</c>.</summary>
    public Task<CliRun> RunAsync(params string[] args) => RunAsync(args, TestContext.Current.CancellationToken);

    /// <summary>Runs <c>treue ARGS --data DATA</c> until it ends or <paramref name="ct"/> stops it.</summary>
    public async Task<CliRun> RunAsync(string[] args, CancellationToken ct)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var clock = Clock;
        var code = await Cli.RunAsync([.. args, "--data", DataFolder], Terminal.Plain(output, error),
            clock is null ? null : services => services.Replace(ServiceDescriptor.Singleton<TimeProvider>(clock)), ct);
        return new CliRun(code, output.ToString(), error.ToString());
    }

    /// <summary>Runs a command that must succeed.</summary>
    public async Task<CliRun> SucceedAsync(params string[] args)
    {
        var run = await RunAsync(args);
        Assert.True(run.ExitCode == 0, $"treue {string.Join(' ', args)} failed: {run}");
        return run;
    }

    /// <summary>Writes a file into the temporary folder and returns its path.</summary>
    public string Write(string name, string content)
    {
        var path = Path.Combine(Folder, name);
        File.WriteAllText(path, content);
        return path;
    }

    /// <summary>A database context on the data folder's database, for checking what the commands wrote.</summary>
    public TreueDb Db()
    {
        var options = new DbContextOptionsBuilder<TreueDb>();
        options.UseTreueDatabase(StorageSetup.DefaultConnectionString(DataFolder));
        return new TreueDb(options.Options);
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(Folder, recursive: true); } catch (IOException) { }
    }
}
