using System.CommandLine;
using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Treue.Server;
using Treue.Storage;

namespace Treue.Cli.Commands;

/// <summary><c>treue db migrate</c>: brings the database schema up to date.</summary>
internal static class DbCommand
{
    public static Command Create(CliContext cli)
    {
        var migrate = new Command("migrate", "Apply the database migrations that are not applied yet, and list them");
        migrate.SetAction((parse, ct) => cli.WithServicesAsync(parse, async services =>
        {
            var db = services.GetRequiredService<TreueDb>();
            var connectionString = TreueApp.ConnectionString(services.GetRequiredService<IConfiguration>());
            cli.Terminal.Say("Database: " + Describe(connectionString));
            await db.Database.EnsureKnownHistoryAsync(ct);
            var pending = (await db.Database.GetPendingMigrationsAsync(ct)).ToList();
            if (pending.Count == 0)
            {
                var applied = (await db.Database.GetAppliedMigrationsAsync(ct)).Count();
                cli.Terminal.Say($"The database is up to date ({applied} migration{(applied == 1 ? "" : "s")} applied).");
                return ExitCodes.Ok;
            }
            await db.Database.MigrateTreueAsync(ct);
            foreach (var m in pending) cli.Terminal.Say("Applied " + m);
            cli.Terminal.Say($"{pending.Count} migration{(pending.Count == 1 ? "" : "s")} applied.");
            return ExitCodes.Ok;
        }, new HostRequest { Migrate = false }));

        return new Command("db", "Manage the database") { migrate };
    }

    /// <summary>Names the database without its secrets.</summary>
    internal static string Describe(string connectionString)
    {
        var parts = new DbConnectionStringBuilder();
        try
        {
            parts.ConnectionString = connectionString;
        }
        catch (ArgumentException)
        {
            return StorageSetup.Detect(connectionString) == DatabaseProvider.Postgres ? "PostgreSQL" : "SQLite";
        }
        string? Get(string key) => parts.TryGetValue(key, out var v) ? v?.ToString() : null;
        return StorageSetup.Detect(connectionString) == DatabaseProvider.Postgres
            ? $"PostgreSQL {Get("Database") ?? "(default database)"} on {Get("Host") ?? Get("Server") ?? "localhost"}"
            : "SQLite " + Path.GetFullPath(Get("Data Source") ?? Get("DataSource") ?? Get("Filename") ?? "treue.db");
    }
}
