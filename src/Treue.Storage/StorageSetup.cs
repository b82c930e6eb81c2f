using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;

namespace Treue.Storage;

/// <summary>The database engines Treue runs on.</summary>
public enum DatabaseProvider
{
    /// <summary>An embedded SQLite file: the default, needing no set-up.</summary>
    Sqlite,
    /// <summary>A PostgreSQL server: for production and for several server nodes.</summary>
    Postgres,
}

/// <summary>
/// When SQLite syncs a commit to disk (<c>PRAGMA synchronous</c>). Only <see cref="Full"/> keeps every
/// acknowledged purchase through a power cut; the others exist for tests that prove the crash tests notice.
/// </summary>
public enum SqliteSynchronous
{
    /// <summary>Every commit is synced before it is acknowledged: the default.</summary>
    Full,
    /// <summary>In WAL mode the log is synced only at checkpoints: a power cut loses the last commits.</summary>
    Normal,
    /// <summary>Nothing is ever synced: a power cut can lose anything written since the file was opened.</summary>
    Off,
}

/// <summary>Chooses and configures the database from a connection string.</summary>
public static class StorageSetup
{
    /// <summary>
    /// The setting that weakens SQLite's durability (<see cref="SqliteSynchronous"/>). Anything but <c>Full</c>
    /// loses acknowledged purchases in a power cut; it exists for the crash tests.
    /// </summary>
    public const string SqliteSynchronousSetting = "Treue:Sqlite:Synchronous";

    /// <summary>The connection string used when none is configured: a SQLite file in the data folder.</summary>
    public static string DefaultConnectionString(string dataFolder) =>
        $"Data Source={Path.Combine(dataFolder, "treue.db")}";

    /// <summary>PostgreSQL connection strings (key=value form) name a Host; everything else is taken as a SQLite file.</summary>
    public static DatabaseProvider Detect(string connectionString) =>
        connectionString.Contains("Host=", StringComparison.OrdinalIgnoreCase)
            ? DatabaseProvider.Postgres
            : DatabaseProvider.Sqlite;

    /// <summary>
    /// Configures EF Core for the provider the connection string names, with that provider's migrations.
    /// <paramref name="synchronous"/> applies to SQLite only; PostgreSQL keeps its own <c>synchronous_commit</c>.
    /// </summary>
    public static DbContextOptionsBuilder UseTreueDatabase(this DbContextOptionsBuilder options, string connectionString,
        SqliteSynchronous synchronous = SqliteSynchronous.Full)
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
            PrepareFile(builder);
            options.UseSqlite(builder.ConnectionString, o => o.MigrationsAssembly("Treue.Storage.Sqlite"));
            options.ReplaceService<Microsoft.EntityFrameworkCore.Migrations.IMigrationsSqlGenerator, CompactSqliteMigrations>();
            options.AddInterceptors(SqliteDurability.For(synchronous), SqliteRawParameters.Instance);
        }
        options.ConfigureWarnings(w => w.Ignore(RelationalEventId.PendingModelChangesWarning));
        return options;
    }

    /// <summary>
    /// Applies the migrations this build has and the database lacks, after <see cref="EnsureKnownHistoryAsync"/>.
    /// </summary>
    public static async Task MigrateTreueAsync(this DatabaseFacade database, CancellationToken ct = default)
    {
        await database.EnsureKnownHistoryAsync(ct);
        await database.MigrateAsync(ct);
    }

    /// <summary>
    /// Refuses a database whose migration history names migrations this build does not have: it was made by another
    /// build (an earlier one, before the migrations were made afresh, or a later one), and its tables would be misread.
    /// </summary>
    /// <exception cref="IncompatibleDatabaseException">The history holds an unknown migration.</exception>
    public static async Task EnsureKnownHistoryAsync(this DatabaseFacade database, CancellationToken ct = default) =>
        Refuse(database, await database.GetAppliedMigrationsAsync(ct));

    /// <summary>Like <see cref="MigrateTreueAsync"/>, for a start-up that cannot wait asynchronously.</summary>
    public static void MigrateTreue(this DatabaseFacade database)
    {
        Refuse(database, database.GetAppliedMigrations());
        database.Migrate();
    }

    private static void Refuse(DatabaseFacade database, IEnumerable<string> applied)
    {
        var known = database.GetMigrations().ToHashSet(StringComparer.Ordinal);
        var unknown = applied.Where(m => !known.Contains(m)).ToList();
        if (unknown.Count == 0) return;
        var where = database.IsSqlite() && database.GetDbConnection().DataSource is { Length: > 0 } file
            ? $"move the data folder of {Path.GetFullPath(file)} away"
            : "use a new, empty database";
        throw new IncompatibleDatabaseException(
            $"The database was made by another version of Treue (its migration {unknown[0]} is unknown to this one) and cannot be read safely: " +
            $"export its data with the version that made it, or {where} to start a new database.");
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> Prepared = new(StringComparer.Ordinal);

    /// <summary>
    /// Creates the database file (0600, in a 0700 folder) before SQLite opens it, which would create it readable by
    /// every local user under the usual umask. SQLite gives its WAL and shared-memory files the database file's mode.
    /// </summary>
    private static void PrepareFile(SqliteConnectionStringBuilder builder)
    {
        var source = builder.DataSource;
        if (builder.Mode == SqliteOpenMode.Memory || string.IsNullOrEmpty(source) || source == ":memory:"
            || source.StartsWith("file:", StringComparison.OrdinalIgnoreCase)) return;
        var path = Path.GetFullPath(source);
        if (!Prepared.TryAdd(path, true)) return;
        if (builder.Mode != SqliteOpenMode.ReadWriteCreate)
        {
            PrivateFiles.CreateFolder(Path.GetDirectoryName(path)!);
            return;
        }
        if (!PrivateFiles.Ensure(path)) return;
        // An empty file is a database, but not yet in WAL mode, which a read-only connection (EF's check whether the
        // database exists) could not switch it to.
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ConnectionString);
        connection.Open();
        using var wal = connection.CreateCommand();
        wal.CommandText = "PRAGMA journal_mode=WAL";
        wal.ExecuteNonQuery();
    }

    /// <summary>
    /// Binds an id or a time given to raw SQL (<c>SqlQuery($"... {memberId}")</c>) as the SQLite model stores it: EF Core
    /// maps the parameters of raw SQL by their .NET type alone, without the model's conversions, and would send an id
    /// as text, which never equals the stored blob. Parameters of LINQ queries arrive converted already.
    /// </summary>
    private sealed class SqliteRawParameters : DbCommandInterceptor
    {
        public static readonly SqliteRawParameters Instance = new();

        public override InterceptionResult<DbDataReader> ReaderExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result)
        {
            Bind(command);
            return result;
        }

        public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData,
            InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
        {
            Bind(command);
            return ValueTask.FromResult(result);
        }

        public override InterceptionResult<int> NonQueryExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<int> result)
        {
            Bind(command);
            return result;
        }

        public override ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(DbCommand command, CommandEventData eventData,
            InterceptionResult<int> result, CancellationToken cancellationToken = default)
        {
            Bind(command);
            return ValueTask.FromResult(result);
        }

        public override InterceptionResult<object> ScalarExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<object> result)
        {
            Bind(command);
            return result;
        }

        public override ValueTask<InterceptionResult<object>> ScalarExecutingAsync(DbCommand command, CommandEventData eventData,
            InterceptionResult<object> result, CancellationToken cancellationToken = default)
        {
            Bind(command);
            return ValueTask.FromResult(result);
        }

        private static void Bind(DbCommand command)
        {
            foreach (DbParameter p in command.Parameters)
            {
                if (p is not SqliteParameter parameter) continue;
                switch (parameter.Value)
                {
                    case Guid id:
                        parameter.SqliteType = SqliteType.Blob;
                        parameter.Value = TreueDb.StoredId(id);
                        break;
                    case DateTime time:
                        parameter.SqliteType = SqliteType.Integer;
                        parameter.Value = TreueDb.StoredTime(time);
                        break;
                }
            }
        }
    }

    /// <summary>
    /// Every SQLite connection runs in WAL mode with <c>synchronous=FULL</c> (unless configured otherwise): a commit is
    /// on disk before it is acknowledged, and readers never block the writer.
    /// </summary>
    private sealed class SqliteDurability(SqliteSynchronous synchronous) : DbConnectionInterceptor
    {
        private static readonly SqliteDurability[] Instances = [.. Enum.GetValues<SqliteSynchronous>().Select(m => new SqliteDurability(m))];

        // One instance per mode: EF Core builds its internal service provider once per distinct set of interceptors.
        public static SqliteDurability For(SqliteSynchronous synchronous) => Instances[(int)synchronous];

        // secure_delete: a row that is deleted or rewritten (a member's row changes with every purchase) leaves zeros, not an
        // old copy of itself, so an erased member's name cannot be read from the file's free space afterwards.
        private readonly string _pragmas =
            $"PRAGMA journal_mode=WAL; PRAGMA synchronous={synchronous.ToString().ToUpperInvariant()}; PRAGMA foreign_keys=ON; PRAGMA secure_delete=ON;";

        public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
        {
            using var cmd = connection.CreateCommand();
            cmd.CommandText = _pragmas;
            cmd.ExecuteNonQuery();
        }

        public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
        {
            await using var cmd = connection.CreateCommand();
            cmd.CommandText = _pragmas;
            await cmd.ExecuteNonQueryAsync(cancellationToken);
        }
    }
}

/// <summary>The database was made by another version of Treue, whose tables this version would misread.</summary>
public sealed class IncompatibleDatabaseException(string message) : Exception(message);
