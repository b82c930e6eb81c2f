using Microsoft.Data.Sqlite;
using Npgsql;
using Treue.Server.Tests.Infrastructure;
using Treue.Storage;

namespace Treue.Server.Tests;

/// <summary>
/// A database made by a build whose migrations this build does not have (the migrations were made afresh) stores
/// ids, times and statuses in other forms: the server refuses to start on it rather than misread it.
/// </summary>
public sealed class OldDatabaseTests(PostgresCluster cluster)
{
    // The first migration of the builds before the storage model was made compact.
    private const string OldMigration = "20261123110720_Initial";

    [Fact]
    public async Task The_server_refuses_a_SQLite_database_with_an_unknown_migration()
    {
        var folder = Path.Combine(Path.GetTempPath(), "treue-old-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(folder);
        try
        {
            var cs = StorageSetup.DefaultConnectionString(folder);
            await using (var c = new SqliteConnection(cs))
            {
                await c.OpenAsync(TestContext.Current.CancellationToken);
                await using var cmd = c.CreateCommand();
                // WAL, as every Treue database is: the start checks the file through a read-only connection.
                cmd.CommandText = "PRAGMA journal_mode=WAL;" + OldHistory;
                await cmd.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
            }
            AssertRefused(new OldServer(cs));
            // Nothing was created beside the history: the database is left as it was for the version that made it.
            await using var check = new SqliteConnection(cs);
            await check.OpenAsync(TestContext.Current.CancellationToken);
            await using var tables = check.CreateCommand();
            tables.CommandText = "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'purchases'";
            Assert.Equal(0L, (long)(await tables.ExecuteScalarAsync(TestContext.Current.CancellationToken))!);
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            try { Directory.Delete(folder, recursive: true); } catch (IOException) { }
        }
    }

    [Fact]
    public async Task The_server_refuses_a_PostgreSQL_database_with_an_unknown_migration()
    {
        var cs = await cluster.CreateDatabaseAsync();
        await using (var c = new NpgsqlConnection(cs))
        {
            await c.OpenAsync(TestContext.Current.CancellationToken);
            await using var cmd = new NpgsqlCommand(OldHistory, c);
            await cmd.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
        }
        AssertRefused(new OldServer(cs));
    }

    private static string OldHistory => $"""
        CREATE TABLE "__EFMigrationsHistory" ("MigrationId" varchar(150) NOT NULL PRIMARY KEY, "ProductVersion" varchar(32) NOT NULL);
        INSERT INTO "__EFMigrationsHistory" VALUES ('{OldMigration}', '10.0.14');
        """;

    private static void AssertRefused(TreueServer server)
    {
        using (server)
        {
            // The host may hand the start-up's exception on wrapped.
            var first = Record.Exception(() => server.Server);
            var thrown = first;
            while (thrown is not null and not IncompatibleDatabaseException) thrown = thrown.InnerException;
            if (thrown is not IncompatibleDatabaseException e)
            {
                Assert.Fail($"The start did not refuse the database: {first?.ToString() ?? "it started"}");
                return;
            }
            Assert.Contains(OldMigration, e.Message, StringComparison.Ordinal);
            Assert.Contains("export its data with the version that made it", e.Message, StringComparison.Ordinal);
            Assert.DoesNotContain('\n', e.Message);
        }
    }

    private sealed class OldServer : TreueServer
    {
        public OldServer(string connectionString) => ConnectionString = connectionString;

        public override string Provider => StorageSetup.Detect(ConnectionString) == DatabaseProvider.Postgres ? "postgres" : "sqlite";
    }
}
