using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Treue.Server.Tests.Infrastructure;

/// <summary>
/// A real PostgreSQL server for the tests. Uses <c>TREUE_TEST_POSTGRES</c> (a connection string with rights to
/// create databases) when it is set; otherwise starts a throwaway cluster in a temporary folder, run by the
/// <c>postgres</c> user when the tests run as root, and removes it afterwards. A missing PostgreSQL is an error,
/// never a reason to skip.
/// </summary>
public sealed class PostgresCluster : IAsyncLifetime
{
    private string? _folder;
    private string? _binaries;
    private bool _asPostgresUser;

    /// <summary>Connection string of the maintenance database.</summary>
    public string AdminConnectionString { get; private set; } = "";

    public async ValueTask InitializeAsync()
    {
        var configured = Environment.GetEnvironmentVariable("TREUE_TEST_POSTGRES");
        if (!Private && !string.IsNullOrWhiteSpace(configured))
        {
            AdminConnectionString = configured;
            return;
        }
        _binaries = FindBinaries() ?? throw new InvalidOperationException(
            "PostgreSQL server binaries (initdb, pg_ctl) were not found. Install the 'postgresql' package or set TREUE_TEST_POSTGRES.");
        _asPostgresUser = Environment.UserName == "root";
        _folder = Path.Combine(Path.GetTempPath(), "treue-pg-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(_folder);
        if (_asPostgresUser) await RunAsync("chown", $"postgres {_folder}", asPostgres: false);
        DataDirectory = Path.Combine(_folder, "data");
        await RunAsync(Path.Combine(_binaries, "initdb"), $"-D {DataDirectory} -U postgres --auth=trust -E UTF8 --no-sync --locale=C.UTF-8", _asPostgresUser);
        var port = FreePort();
        // Settings go into the cluster's configuration so that a restart after a crash keeps them.
        var durability = Durable
            ? "fsync = on\nsynchronous_commit = on\nfull_page_writes = on\n"
            : "fsync = off\nfull_page_writes = off\n";
        var conf = $"\nport = {port}\nunix_socket_directories = '{_folder}'\nlisten_addresses = '127.0.0.1'\nmax_connections = 300\n{durability}";
        await File.AppendAllTextAsync(Path.Combine(DataDirectory, "postgresql.conf"), conf); // root may write the file; it stays the owner's
        await StartAsync();
        AdminConnectionString = $"Host=127.0.0.1;Port={port};Username=postgres;Database=postgres;Pooling=false";
    }

    /// <summary>
    /// Syncs to disk as a production server does (<c>fsync</c>, <c>synchronous_commit</c> and <c>full_page_writes</c>
    /// on) instead of the fast default without syncs, which only survives crashes of processes, not power cuts.
    /// </summary>
    public bool Durable { get; init; }

    /// <summary>The folder of a cluster this fixture started (owned by <see cref="User"/>); the data directory is in it.</summary>
    public string Folder => _folder ?? throw new InvalidOperationException("Only a cluster this fixture started has a folder.");

    /// <summary>The data directory the server runs on (see <see cref="UseDataDirectory"/>).</summary>
    public string DataDirectory { get; private set; } = "";

    /// <summary>The user the server runs as, when it is not this process's user.</summary>
    public string? User => _asPostgresUser ? "postgres" : null;

    /// <summary>Starts the server on <see cref="DataDirectory"/>, with extra environment variables if given.</summary>
    public async Task StartAsync(IReadOnlyDictionary<string, string>? environment = null)
    {
        var log = Path.Combine(Folder, "log");
        try
        {
            await RunAsync(Path.Combine(_binaries!, "pg_ctl"), $"-D {DataDirectory} -l {log} -w -t 60 start", _asPostgresUser, environment);
        }
        catch (InvalidOperationException e) when (File.Exists(log))
        {
            throw new InvalidOperationException($"{e.Message}\nlog: {string.Join("\n", (await File.ReadAllLinesAsync(log)).TakeLast(20))}", e);
        }
    }

    /// <summary>Stops the server cleanly (a checkpoint, then the end of every process).</summary>
    public Task StopAsync() => RunAsync(Path.Combine(_binaries!, "pg_ctl"), $"-D {DataDirectory} -m fast -w stop", _asPostgresUser);

    /// <summary>
    /// Kills every process of the server at once with SIGKILL, as a power cut would: pg_ctl starts the postmaster as
    /// the leader of a process group of its own, which all its children join.
    /// </summary>
    public async Task PowerCutAsync()
    {
        var postmaster = Postmaster() ?? throw new InvalidOperationException("PostgreSQL is not running.");
        await RunAsync("kill", $"-KILL -- -{postmaster}", asPostgres: false);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (Directory.EnumerateDirectories("/proc").Any(d => InGroup(d, postmaster)))
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("PostgreSQL's processes did not end after SIGKILL.");
            await Task.Delay(20);
        }
    }

    /// <summary>Runs the server on another data directory from now on, for example a copy of what a power cut left.</summary>
    public void UseDataDirectory(string path)
    {
        // The killed server's lock file, if the copy has one, names a process that is gone; PostgreSQL would check
        // that itself, but another process may have the number by now.
        File.Delete(Path.Combine(path, "postmaster.pid"));
        // So would the socket's lock file, and the killed postmaster may linger as a zombie until it is reaped; after a
        // power cut the machine starts afresh, without either.
        foreach (var socketFile in Directory.EnumerateFiles(Folder, ".s.PGSQL.*"))
            File.Delete(socketFile);
        DataDirectory = path;
    }

    private int? Postmaster()
    {
        var file = Path.Combine(DataDirectory, "postmaster.pid");
        return File.Exists(file) && int.TryParse(File.ReadLines(file).FirstOrDefault(), out var pid) ? pid : null;
    }

    private static bool Alive(int pid) => Stat(Path.Combine("/proc", pid.ToString(System.Globalization.CultureInfo.InvariantCulture))) is { } fields && fields[0] != "Z";

    private static bool InGroup(string procFolder, int group) =>
        Stat(procFolder) is { } fields && fields[0] != "Z" && fields[2] == group.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The fields of /proc/&lt;pid&gt;/stat from the state on (state, ppid, pgrp, ...), or null for a process that is gone.</summary>
    private static string[]? Stat(string procFolder)
    {
        try
        {
            // pid (comm) state ppid pgrp ...; comm may contain spaces, so count from its closing parenthesis.
            var stat = File.ReadAllText(Path.Combine(procFolder, "stat"));
            return stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }

    /// <summary>Stops the server at once, without a clean shutdown (as a crash would), then starts it again.</summary>
    public async Task CrashAndRestartAsync(TimeSpan down)
    {
        if (_folder is null || _binaries is null) throw new InvalidOperationException("Only a cluster this fixture started can be crashed.");
        await RunAsync(Path.Combine(_binaries, "pg_ctl"), $"-D {DataDirectory} -m immediate stop", _asPostgresUser);
        await Task.Delay(down);
        await StartAsync();
    }

    /// <summary>Starts a private cluster even when TREUE_TEST_POSTGRES is set (for tests that crash the server).</summary>
    public bool Private { get; init; }

    /// <summary>Creates an empty database and returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync()
    {
        var name = "treue_test_" + Guid.NewGuid().ToString("N")[..12];
        await using (var conn = new NpgsqlConnection(AdminConnectionString))
        {
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand($"CREATE DATABASE {name}", conn);
            await cmd.ExecuteNonQueryAsync();
        }
        return new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = name, Pooling = true, MaxPoolSize = 50 }.ConnectionString;
    }

    public async ValueTask DisposeAsync()
    {
        if (_folder is null || _binaries is null) return;
        try
        {
            // A cluster that was stopped, or killed by a power cut, has nothing left to stop.
            if (Postmaster() is { } pid && Alive(pid))
                await RunAsync(Path.Combine(_binaries, "pg_ctl"), $"-D {DataDirectory} -m immediate stop", _asPostgresUser);
        }
        finally
        {
            try { Directory.Delete(_folder, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    private static string? FindBinaries()
    {
        var candidates = new List<string>();
        if (Directory.Exists("/usr/lib/postgresql"))
            candidates.AddRange(Directory.GetDirectories("/usr/lib/postgresql").OrderByDescending(d => int.TryParse(Path.GetFileName(d), out var v) ? v : 0).Select(d => Path.Combine(d, "bin")));
        candidates.AddRange((Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries));
        return candidates.FirstOrDefault(d => File.Exists(Path.Combine(d, "initdb")) && File.Exists(Path.Combine(d, "pg_ctl")));
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task RunAsync(string file, string arguments, bool asPostgres, IReadOnlyDictionary<string, string>? environment = null)
    {
        // runuser resets part of the environment for the other user (and PAM may drop more); env sets it for the program itself.
        var variables = string.Concat((environment ?? new Dictionary<string, string>()).Select(v => $"{v.Key}={v.Value} "));
        var psi = asPostgres
            ? new ProcessStartInfo("runuser", $"-u postgres -- env {variables}{file} {arguments}")
            : new ProcessStartInfo(file, arguments);
        if (!asPostgres)
        {
            foreach (var (name, value) in environment ?? new Dictionary<string, string>())
                psi.Environment[name] = value;
        }
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        psi.WorkingDirectory = Path.GetTempPath();
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"'{file} {arguments}' failed with exit code {process.ExitCode}: {await stderr}{await stdout}");
    }
}
