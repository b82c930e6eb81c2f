using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Treue.Domain.Ledger;
using Treue.Storage.Entities;

namespace Treue.Storage.Purchases;

/// <summary>
/// The purchase store on SQLite: its own SQL on the caller's connection and transaction, with each statement prepared
/// once per connection and run again with new values. The group-commit writer and the bulk import keep one connection
/// open for a long time, so their statements are parsed once.
/// <para>
/// A purchase of a member is, in this order: one <c>UPDATE</c> of the member that checks both guards (the purchase count
/// the decision saw, and the available points it pays with) and returns the balance after it; when it matches no row,
/// nothing has been written and the write is <see cref="WriteStatus.Stale"/>. Then, for a payment with points, the
/// member's lots are read and drawn oldest-first (an <c>UPDATE</c> per lot drawn), and the payment's transaction, its
/// two entries (one statement) and draws are inserted. Then the purchase, its lines (one statement for up to eight),
/// the earn transaction, its two entries (one statement), its lot and the request's idempotency record. A purchase of
/// three lines that earns is six statements; an anonymous one two. A receipt recorded concurrently or a key claimed
/// concurrently fails its unique index, and the write answers so; the caller rolls back what was written.
/// </para>
/// </summary>
public sealed class SqlitePurchaseStore(TimeProvider clock) : IPurchaseStore
{
    private const int LinesPerInsert = 8;

    private static readonly ConditionalWeakTable<SqliteConnection, Statements> Prepared = [];

    /// <inheritdoc />
    public Task<PurchaseWritten> WriteAsync(TreueDb db, PurchaseWrite write, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        if (db.Database.CurrentTransaction?.GetDbTransaction() is not SqliteTransaction { Connection: { } connection } tx)
            throw new InvalidOperationException("The purchase store writes inside the caller's transaction, and none is open.");
        // A connection that was closed and opened again (a request's, unlike the writers') may have another SQLite handle
        // from the pool; statements prepared on the one it had would run on whichever connection holds that one now.
        if (!Prepared.TryGetValue(connection, out var s) || s.Handle != connection.Handle)
        {
            s?.Dispose();
            s = new Statements(connection);
            Prepared.AddOrUpdate(connection, s);
        }
        try
        {
            return Task.FromResult(Write(s, tx, write));
        }
        catch (SqliteException e) when (StoreErrors.UniqueViolation(e) is { } table)
        {
            return Task.FromResult(new PurchaseWritten(StoreErrors.Duplicate(table)));
        }
    }

    private PurchaseWritten Write(Statements s, SqliteTransaction tx, PurchaseWrite w)
    {
        var purchase = w.Purchase;
        MemberBalance? balance = null;
        var now = clock.GetUtcNow().UtcDateTime;
        if (w.MemberId is { } memberId)
        {
            var (available, pending, paid) = PurchaseRows.BalanceChange(w);
            var update = s.Member.Begin(tx);
            update.Long(available);
            update.Long(paid);
            update.Long(pending);
            update.Id(memberId);
            update.Id(w.ProgrammeId);
            update.Int(w.SeenPurchaseCount);
            using (var reader = update.Command.ExecuteReader())
            {
                if (!reader.Read()) return new PurchaseWritten(WriteStatus.Stale);
                balance = new MemberBalance { Available = reader.GetInt64(0), Pending = reader.GetInt64(1) };
            }
            if (w.Debit is { } debit) purchase.PaymentTransactionId = Pay(s, tx, w, debit, memberId, now);
        }

        PurchaseRows.Purchase(s.Purchase.Begin(tx), purchase);
        s.Purchase.Command.ExecuteNonQuery();
        var lines = purchase.Lines;
        for (var at = 0; at < lines.Count; at += LinesPerInsert)
        {
            var n = Math.Min(LinesPerInsert, lines.Count - at);
            var insert = s.Lines(n).Begin(tx);
            for (var i = 0; i < n; i++) PurchaseRows.Line(insert, lines[at + i]);
            insert.Command.ExecuteNonQuery();
        }

        PointLot? lot = null;
        if (w.Credit is { Points: > 0 } credit)
        {
            InsertTransaction(s, tx, PurchaseRows.EarnTransaction(w, credit, now), PurchaseRows.EarnEntries(w, credit));
            lot = PurchaseRows.EarnLot(w, credit);
            PurchaseRows.Lot(s.Lot.Begin(tx), lot);
            s.Lot.Command.ExecuteNonQuery();
            lot.Id = s.LastRowId;
        }
        if (w.Claim is { } claim)
        {
            PurchaseRows.Claim(s.Claim.Begin(tx), claim);
            s.Claim.Command.ExecuteNonQuery();
        }
        return new PurchaseWritten(WriteStatus.Written, purchase, balance, lot);
    }

    /// <summary>Draws the paid points from the member's lots oldest-first and records the payment; returns its transaction's id.</summary>
    private static long Pay(Statements s, SqliteTransaction tx, PurchaseWrite w, PurchaseDebit debit, Guid memberId, DateTime now)
    {
        var lots = new List<LotState>();
        var read = s.Lots.Begin(tx);
        read.Id(memberId);
        using (var reader = read.Command.ExecuteReader())
        {
            while (reader.Read())
            {
                lots.Add(new LotState(reader.GetInt64(0), reader.GetUtc(1), reader.GetUtcOrNull(2), reader.GetInt64(3)));
            }
        }
        var draws = PointLots.DrawOldestFirst(lots, debit.Points)
            ?? throw new InvalidOperationException($"Lots of member {memberId} do not cover the cached balance.");
        foreach (var d in draws)
        {
            var take = s.Draw.Begin(tx);
            take.Long(d.Points);
            take.Long(d.LotId);
            if (take.Command.ExecuteNonQuery() != 1) throw new InvalidOperationException($"Lot {d.LotId} changed under a member lock.");
        }
        var id = InsertTransaction(s, tx, PurchaseRows.DebitTransaction(w, debit, now), PurchaseRows.DebitEntries(w, debit));
        foreach (var d in draws)
        {
            var record = s.DrawRecord.Begin(tx);
            record.Long(id);
            PurchaseRows.Draw(record, w.ProgrammeId, memberId, d);
            record.Command.ExecuteNonQuery();
        }
        return id;
    }

    private static long InsertTransaction(Statements s, SqliteTransaction tx, in TransactionRow row, (EntryRow From, EntryRow To) entries)
    {
        PurchaseRows.Transaction(s.Transaction.Begin(tx), row);
        s.Transaction.Command.ExecuteNonQuery();
        var id = s.LastRowId;
        var insert = s.Entries.Begin(tx);
        insert.Long(id);
        PurchaseRows.Entry(insert, entries.From);
        insert.Long(id);
        PurchaseRows.Entry(insert, entries.To);
        insert.Command.ExecuteNonQuery();
        return id;
    }

    /// <summary>The statements of one connection, prepared on first use.</summary>
    private sealed class Statements(SqliteConnection connection) : IDisposable
    {
        private readonly Statement?[] _lines = new Statement?[LinesPerInsert + 1];

        /// <summary>The SQLite handle the statements were prepared on.</summary>
        public SQLitePCL.sqlite3 Handle { get; } = connection.Handle!;

        public void Dispose()
        {
            foreach (var statement in new[] { Member, Lots, Draw, DrawRecord, Purchase, Transaction, Entries, Lot, Claim }.Concat(_lines.OfType<Statement>()))
                statement.Command.Dispose();
        }

        public Statement Member { get; } = new(connection, """
            UPDATE "members" SET "available" = "available" + $p0 - $p1, "pending" = "pending" + $p2, "purchase_count" = "purchase_count" + 1
            WHERE "id" = $p3 AND "programme_id" = $p4 AND "purchase_count" = $p5 AND "available" >= $p1
              AND "available" + $p0 - $p1 >= 0 AND "pending" + $p2 >= 0
            RETURNING "available", "pending"
            """, 6);

        public Statement Lots { get; } = new(connection,
            $"""SELECT "id", "earned_at", "expires_at", "remaining" FROM "point_lots" WHERE "member_id" = $p0 AND "status" = {(int)LotStatus.Available} AND "remaining" > 0""", 1);

        public Statement Draw { get; } = new(connection,
            """UPDATE "point_lots" SET "remaining" = "remaining" - $p0 WHERE "id" = $p1 AND "remaining" >= $p0""", 2);

        public Statement DrawRecord { get; } = Insert(connection, "lot_draws", ["transaction_id", .. PurchaseRows.DrawColumns], 1);

        public Statement Purchase { get; } = Insert(connection, "purchases", PurchaseRows.PurchaseColumns, 1);

        public Statement Transaction { get; } = Insert(connection, "ledger_transactions", PurchaseRows.TransactionColumns, 1);

        public Statement Entries { get; } = Insert(connection, "ledger_entries", ["transaction_id", .. PurchaseRows.EntryColumns], 2);

        public Statement Lot { get; } = Insert(connection, "point_lots", PurchaseRows.LotColumns, 1);

        public Statement Claim { get; } = Insert(connection, "idempotency_records", PurchaseRows.ClaimColumns, 1);

        /// <summary>The insert of <paramref name="rows"/> purchase lines.</summary>
        public Statement Lines(int rows) => _lines[rows] ??= Insert(connection, "purchase_lines", PurchaseRows.LineColumns, rows);

        /// <summary>The id of the row the last insert on this connection made.</summary>
        public long LastRowId => SQLitePCL.raw.sqlite3_last_insert_rowid(connection.Handle);

        private static Statement Insert(SqliteConnection connection, string table, string[] columns, int rows)
        {
            var sql = new StringBuilder($"INSERT INTO \"{table}\" (\"{string.Join("\", \"", columns)}\") VALUES ");
            for (var r = 0; r < rows; r++)
            {
                sql.Append(r == 0 ? "(" : ", (");
                for (var c = 0; c < columns.Length; c++) sql.Append(c == 0 ? "" : ", ").Append("$p").Append(r * columns.Length + c);
                sql.Append(')');
            }
            return new Statement(connection, sql.ToString(), rows * columns.Length);
        }
    }

    /// <summary>
    /// One prepared statement and its parameters, bound in order (<c>$p0</c>, <c>$p1</c>, ...) in the form SQLite stores:
    /// ids as 16-byte big-endian blobs, times as microseconds since 1970, enums as their numbers.
    /// </summary>
    private sealed class Statement : IRowValues
    {
        private readonly SqliteParameter[] _parameters;
        private readonly byte[]?[] _buffers;
        private int _next;

        public Statement(SqliteConnection connection, string sql, int parameters)
        {
            Command = connection.CreateCommand();
            Command.CommandText = sql;
            _parameters = new SqliteParameter[parameters];
            _buffers = new byte[]?[parameters];
            for (var i = 0; i < parameters; i++)
                _parameters[i] = Command.Parameters.Add(new SqliteParameter("$p" + i.ToString(System.Globalization.CultureInfo.InvariantCulture), DBNull.Value));
        }

        public SqliteCommand Command { get; }

        /// <summary>Starts binding a new execution in <paramref name="tx"/>.</summary>
        public Statement Begin(SqliteTransaction tx)
        {
            Command.Transaction = tx;
            _next = 0;
            return this;
        }

        private void Set(object value) => _parameters[_next++].Value = value;

        private byte[] Buffer(int length)
        {
            var b = _buffers[_next];
            if (b is null || b.Length != length) _buffers[_next] = b = new byte[length];
            return b;
        }

        public void Id(Guid value)
        {
            // SQLite copies a bound blob, so each parameter keeps one buffer.
            var b = Buffer(16);
            value.TryWriteBytes(b, bigEndian: true, out _);
            Set(b);
        }

        public void Id(Guid? value)
        {
            if (value is { } id) Id(id);
            else Set(DBNull.Value);
        }

        public void Time(DateTime value) => Set(TreueDb.StoredTime(value));

        public void Time(DateTime? value) => Set(value is { } t ? TreueDb.StoredTime(t) : DBNull.Value);

        public void Long(long value) => Set(value);

        public void Long(long? value) => Set(value is { } v ? v : DBNull.Value);

        public void Int(int value) => Set((long)value);

        public void Int(int? value) => Set(value is { } v ? (long)v : DBNull.Value);

        public void Small(short value) => Set((long)value);

        public void Text(string? value) => Set(value is null ? DBNull.Value : value);

        public void Bytes(byte[] value) => Set(value);

        public void Hex(string value)
        {
            var b = Buffer(value.Length / 2);
            Convert.FromHexString(value, b, out _, out _);
            Set(b);
        }

        // Microsoft.Data.Sqlite binds a decimal as text ("1.0", "0.5"), as EF Core's SQLite model stores it.
        public void Decimal(decimal value) => Set(value);
    }
}
