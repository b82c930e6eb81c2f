using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;
using Treue.Storage.Entities;

namespace Treue.Storage;

/// <summary>
/// Saves new rows of the hot path (a purchase with its lines, its ledger transaction with entries, its lot, the stored
/// idempotent response) on SQLite with statements prepared once per connection of the group-commit writer.
/// <para>
/// EF Core builds and SQLite parses every <c>INSERT</c> of <c>SaveChanges</c> afresh; for a purchase that was half of the
/// time of the group-commit writer. Here each table's <c>INSERT</c> is prepared once per connection and run again with
/// new values. The values come from the change tracker and are converted by EF Core's own type mappings (the same value
/// converters, the same text forms of identifiers, times and amounts), and keys the database generates are written back
/// through the change tracker, which carries them into the rows that refer to them. Anything else (a changed or deleted
/// row, a type not listed here, PostgreSQL) is left to <c>SaveChanges</c>.
/// </para>
/// </summary>
public static class SqliteInserts
{
    // Principals before the rows that refer to them.
    private static readonly Type[] Order =
        [typeof(Purchase), typeof(PurchaseLine), typeof(LedgerTransaction), typeof(LedgerEntry), typeof(PointLot), typeof(IdempotencyRecord)];

    private static readonly ConditionalWeakTable<SqliteConnection, Dictionary<IEntityType, Insert>> Prepared = [];

    /// <summary>
    /// Lets <see cref="SaveAsync"/> keep prepared statements on this connection, which stays open for a long time (the
    /// group-commit writer's). Other connections (opened and closed per request) save as EF Core does.
    /// </summary>
    public static void Register(System.Data.Common.DbConnection connection)
    {
        if (connection is SqliteConnection sqlite) Prepared.AddOrUpdate(sqlite, []);
    }

    /// <summary>
    /// Saves the context's changes: on a registered SQLite connection, new rows of the listed types with prepared
    /// statements; everything else as EF Core does.
    /// </summary>
    public static async Task SaveAsync(TreueDb db, CancellationToken ct)
    {
        if (!db.IsSqlite || db.Database.CurrentTransaction?.GetDbTransaction() is not SqliteTransaction { Connection: { } owner } tx
            || !Prepared.TryGetValue(owner, out var statements))
        {
            await db.SaveChangesAsync(ct);
            return;
        }
        db.ChangeTracker.DetectChanges();
        EarnExplanations.Compact(db);
        var added = new List<EntityEntry>();
        foreach (var e in db.ChangeTracker.Entries())
        {
            if (e.State == EntityState.Unchanged) continue;
            if (e.State != EntityState.Added || Array.IndexOf(Order, e.Metadata.ClrType) < 0)
            {
                await db.SaveChangesAsync(ct);
                return;
            }
            added.Add(e);
        }
        if (added.Count == 0) return;
        added.Sort((a, b) => Array.IndexOf(Order, a.Metadata.ClrType).CompareTo(Array.IndexOf(Order, b.Metadata.ClrType)));

        var connection = owner;
        try
        {
            foreach (var entry in added)
            {
                if (!statements.TryGetValue(entry.Metadata, out var insert))
                    statements[entry.Metadata] = insert = new Insert(entry.Metadata, connection);
                await insert.RunAsync(entry, tx, ct);
            }
        }
        catch (SqliteException e)
        {
            // As SaveChanges reports it, so that callers handle a duplicate the same way on both paths.
            throw new DbUpdateException("An error occurred while saving the entity changes. See the inner exception for details.", e);
        }
        db.ChangeTracker.AcceptAllChanges();
    }

    /// <summary>One table's prepared <c>INSERT</c>.</summary>
    private sealed class Insert
    {
        private readonly SqliteCommand _command;
        private readonly IProperty[] _columns;
        private readonly RelationalTypeMapping[] _mappings;
        private readonly IProperty? _generated;

        public Insert(IEntityType type, SqliteConnection connection)
        {
            var table = StoreObjectIdentifier.Table(type.GetTableName()!, type.GetSchema());
            var key = type.FindPrimaryKey()!.Properties;
            _generated = key is [{ ValueGenerated: ValueGenerated.OnAdd } id] && (id.ClrType == typeof(long) || id.ClrType == typeof(int)) ? id : null;
            _columns = type.GetProperties().Where(p => p != _generated).ToArray();
            _mappings = _columns.Select(p => p.GetRelationalTypeMapping()).ToArray();
            var names = string.Join(", ", _columns.Select(p => Quote(p.GetColumnName(table)!)));
            var values = string.Join(", ", _columns.Select((_, i) => "$c" + i));
            var returning = _generated is null ? "" : " RETURNING " + Quote(_generated.GetColumnName(table)!);
            _command = connection.CreateCommand();
            _command.CommandText = $"INSERT INTO {Quote(table.Name)} ({names}) VALUES ({values}){returning}";
        }

        public async Task RunAsync(EntityEntry entry, SqliteTransaction tx, CancellationToken ct)
        {
            _command.Transaction = tx;
            _command.Parameters.Clear();
            var current = entry.CurrentValues;
            for (var i = 0; i < _columns.Length; i++)
                _command.Parameters.Add(_mappings[i].CreateParameter(_command, "$c" + i, current[_columns[i]], _columns[i].IsNullable));
            if (_generated is null)
            {
                await _command.ExecuteNonQueryAsync(ct);
                return;
            }
            var id = Convert.ChangeType(await _command.ExecuteScalarAsync(ct), _generated.ClrType, System.Globalization.CultureInfo.InvariantCulture);
            var key = entry.Property(_generated.Name);
            key.CurrentValue = id;
            key.IsTemporary = false;
        }

        private static string Quote(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
    }
}
