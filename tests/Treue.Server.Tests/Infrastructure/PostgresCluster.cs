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
        var data = Path.Combine(_folder, "data");
        await RunAsync(Path.Combine(_binaries, "initdb"), $"-D {data} -U postgres --auth=trust -E UTF8 --no-sync --locale=C.UTF-8", _asPostgresUser);
        var port = FreePort();
        // Settings go into the cluster's configuration so that a restart after a crash keeps them.
        var conf = $"\nport = {port}\nunix_socket_directories = '{_folder}'\nlisten_addresses = '127.0.0.1'\nmax_connections = 300\nfsync = off\nfull_page_writes = off\n";
        await File.AppendAllTextAsync(Path.Combine(data, "postgresql.conf"), conf); // root may write the file; it stays the owner's
        await RunAsync(Path.Combine(_binaries, "pg_ctl"), $"-D {data} -l {Path.Combine(_folder, "log")} -w -t 60 start", _asPostgresUser);
        AdminConnectionString = $"Host=127.0.0.1;Port={port};Username=postgres;Database=postgres;Pooling=false";
    }

    /// <summary>Stops the server at once, without a clean shutdown (as a crash would), then starts it again.</summary>
    public async Task CrashAndRestartAsync(TimeSpan down)
    {
        if (_folder is null || _binaries is null) throw new InvalidOperationException("Only a cluster this fixture started can be crashed.");
        var data = Path.Combine(_folder, "data");
        await RunAsync(Path.Combine(_binaries, "pg_ctl"), $"-D {data} -m immediate stop", _asPostgresUser);
        await Task.Delay(down);
        await RunAsync(Path.Combine(_binaries, "pg_ctl"), $"-D {data} -l {Path.Combine(_folder, "log")} -w -t 60 start", _asPostgresUser);
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
            await RunAsync(Path.Combine(_binaries, "pg_ctl"), $"-D {Path.Combine(_folder, "data")} -m immediate stop", _asPostgresUser);
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

    private static async Task RunAsync(string file, string arguments, bool asPostgres)
    {
        var psi = asPostgres
            ? new ProcessStartInfo("runuser", $"-u postgres -- {file} {arguments}")
            : new ProcessStartInfo(file, arguments);
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
