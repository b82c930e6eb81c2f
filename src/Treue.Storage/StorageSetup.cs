using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Treue.Storage;

/// <summary>The database engines Treue runs on.</summary>
public enum DatabaseProvider
{
    /// <summary>An embedded SQLite file: the default, needing no set-up.</summary>
    Sqlite,
    /// <summary>A PostgreSQL server: for production and for several server nodes.</summary>
    Postgres,
}

/// <summary>Chooses and configures the database from a connection string.</summary>
public static class StorageSetup
{
    /// <summary>The connection string used when none is configured: a SQLite file in the data folder.</summary>
    public static string DefaultConnectionString(string dataFolder) =>
        $"Data Source={Path.Combine(dataFolder, "treue.db")}";

    /// <summary>PostgreSQL connection strings (key=value form) name a Host; everything else is taken as a SQLite file.</summary>
    public static DatabaseProvider Detect(string connectionString) =>
        connectionString.Contains("Host=", StringComparison.OrdinalIgnoreCase)
            ? DatabaseProvider.Postgres
            : DatabaseProvider.Sqlite;

    /// <summary>Configures EF Core for the provider the connection string names, with that provider's migrations.</summary>
    public static DbContextOptionsBuilder UseTreueDatabase(this DbContextOptionsBuilder options, string connectionString)
    {
        if (Detect(connectionString) == DatabaseProvider.Postgres)
        {
            var builder = new Npgsql.NpgsqlConnectionStringBuilder(connectionString);
            // The same few statements run on every purchase; prepared once per connection, PostgreSQL skips parsing and
            // planning them again. A connection string that sets its own value keeps it.
            if (!connectionString.Contains("Auto Prepare", StringComparison.OrdinalIgnoreCase)) builder.MaxAutoPrepare = 64;
            options.UseNpgsql(builder.ConnectionString, o => o.MigrationsAssembly("Treue.Storage.Postgres"));
        }
        else
        {
            var builder = new SqliteConnectionStringBuilder(connectionString)
            {
                // Writers queue on the database lock instead of failing at once.
                DefaultTimeout = 30,
                Pooling = true,
            };
            if (Path.GetDirectoryName(Path.GetFullPath(builder.DataSource)) is { } dir)
                Directory.CreateDirectory(dir);
            options.UseSqlite(builder.ConnectionString, o => o.MigrationsAssembly("Treue.Storage.Sqlite"));
            options.AddInterceptors(SqliteDurability.Instance);
        }
        options.ConfigureWarnings(w => w.Ignore(RelationalEventId.PendingModelChangesWarning));
        return options;
    }

    /// <summary>
    /// Every SQLite connection runs in WAL mode with <c>synchronous=FULL</c>: a commit is on disk before it is
    /// acknowledged, and readers never block the writer.
    /// </summary>
    private sealed class SqliteDurability : DbConnectionInterceptor
    {
        public static readonly SqliteDurability Instance = new();

        private const string Pragmas = "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;";

        public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
        {
            using var cmd = connection.CreateCommand();
            cmd.CommandText = Pragmas;
            cmd.ExecuteNonQuery();
        }

        public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
        {
            await using var cmd = connection.CreateCommand();
            cmd.CommandText = Pragmas;
            await cmd.ExecuteNonQueryAsync(cancellationToken);
        }
    }
}
