using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Treue.Cli.Import;

/// <summary>
/// One prepared SQLite statement, executed again and again with new values. It talks to SQLite through SQLitePCLRaw
/// (the layer beneath Microsoft.Data.Sqlite, on the same connection), which spares a command, a data reader and a
/// parameter lookup per row: in a bulk import those cost as much as SQLite's own work.
/// </summary>
internal sealed class BulkStatement : IDisposable
{
    private readonly sqlite3 _db;
    private readonly sqlite3_stmt _stmt;
    private readonly int[] _slots;

    /// <param name="connection">An open connection.</param>
    /// <param name="sql">The statement, with named parameters (<c>$name</c>).</param>
    /// <param name="programme">The value of <c>$p</c> (the programme's id as stored), bound once, when the statement has it.</param>
    /// <param name="names">The other parameters, in the order <see cref="Run"/> and the queries take their values.</param>
    public BulkStatement(SqliteConnection connection, string sql, byte[] programme, params string[] names)
    {
        _db = connection.Handle!;
        Check(raw.sqlite3_prepare_v2(_db, sql, out _stmt));
        var p = raw.sqlite3_bind_parameter_index(_stmt, "$p");
        if (p > 0) Check(raw.sqlite3_bind_blob(_stmt, p, programme));
        _slots = new int[names.Length];
        for (var i = 0; i < names.Length; i++)
        {
            _slots[i] = raw.sqlite3_bind_parameter_index(_stmt, names[i]);
            if (_slots[i] == 0) throw new ArgumentException($"The statement has no parameter {names[i]}.", nameof(names));
        }
    }

    /// <summary>Executes the statement with these values and returns the number of rows it changed.</summary>
    public int Run(params object?[] values)
    {
        Bind(values);
        try
        {
            var rc = raw.sqlite3_step(_stmt);
            while (rc == raw.SQLITE_ROW) rc = raw.sqlite3_step(_stmt);
            Check(rc);
            return raw.sqlite3_changes(_db);
        }
        finally
        {
            raw.sqlite3_reset(_stmt);
        }
    }

    /// <summary>The rows the statement returns for these values (at most <paramref name="max"/>), as text, integers or bytes.</summary>
    public List<object?[]> Rows(int max, params object?[] values)
    {
        Bind(values);
        var rows = new List<object?[]>();
        try
        {
            int rc;
            while (rows.Count < max && (rc = raw.sqlite3_step(_stmt)) != raw.SQLITE_DONE)
            {
                if (rc != raw.SQLITE_ROW) Check(rc);
                var row = new object?[raw.sqlite3_column_count(_stmt)];
                for (var i = 0; i < row.Length; i++)
                {
                    row[i] = raw.sqlite3_column_type(_stmt, i) switch
                    {
                        raw.SQLITE_NULL => null,
                        raw.SQLITE_INTEGER => raw.sqlite3_column_int64(_stmt, i),
                        raw.SQLITE_BLOB => raw.sqlite3_column_blob(_stmt, i).ToArray(),
                        _ => raw.sqlite3_column_text(_stmt, i).utf8_to_string(),
                    };
                }
                rows.Add(row);
            }
            return rows;
        }
        finally
        {
            raw.sqlite3_reset(_stmt);
        }
    }

    private void Bind(object?[] values)
    {
        if (values.Length != _slots.Length) throw new ArgumentException($"Expected {_slots.Length} values.", nameof(values));
        for (var i = 0; i < values.Length; i++)
        {
            var rc = values[i] switch
            {
                null or DBNull => raw.sqlite3_bind_null(_stmt, _slots[i]),
                string s => raw.sqlite3_bind_text(_stmt, _slots[i], s),
                byte[] b => raw.sqlite3_bind_blob(_stmt, _slots[i], b),
                long l => raw.sqlite3_bind_int64(_stmt, _slots[i], l),
                int n => raw.sqlite3_bind_int64(_stmt, _slots[i], n),
                var other => throw new ArgumentException($"Cannot bind a {other.GetType().Name}.", nameof(values)),
            };
            Check(rc);
        }
    }

    private void Check(int rc)
    {
        if (rc is raw.SQLITE_OK or raw.SQLITE_DONE or raw.SQLITE_ROW) return;
        throw new SqliteException(raw.sqlite3_errmsg(_db).utf8_to_string(), rc, raw.sqlite3_extended_errcode(_db));
    }

    public void Dispose() => _stmt.Dispose();
}
