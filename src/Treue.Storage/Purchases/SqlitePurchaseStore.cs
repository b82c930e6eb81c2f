using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.Data.Sqlite;
using SQLitePCL;
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
        if (db.Database.CurrentTransaction?.GetDbTransaction() is not SqliteTransaction { Connection: { } connection })
            throw new InvalidOperationException("The purchase store writes inside the caller's transaction, and none is open.");
        // A connection that was closed and opened again (a request's, unlike the writers') may have another SQLite handle
        // from the pool; statements prepared on the one it had would run on whichever connection holds that one now.
        if (!Prepared.TryGetValue(connection, out var s) || s.Handle != connection.Handle)
        {
            s?.Dispose();
            s = Prepare(connection);
        }
        try
        {
            return Task.FromResult(Write(s, write));
        }
        catch (SqliteException e) when (StoreErrors.UniqueViolation(e) is { } table && StoreErrors.Duplicate(table) is { } status)
        {
            return Task.FromResult(new PurchaseWritten(status));
        }
    }

    /// <summary>
    /// Prepares the statements on <paramref name="connection"/>'s handle, and finalizes them when the connection closes,
    /// as Microsoft.Data.Sqlite does with its own commands: a handle with statements left open cannot really close, so its
    /// write-ahead log would be neither checkpointed nor removed when the last connection to the database goes.
    /// </summary>
    private static Statements Prepare(SqliteConnection connection)
    {
        var s = new Statements(connection);
        Prepared.AddOrUpdate(connection, s);
        void Closed(object? sender, System.Data.StateChangeEventArgs e)
        {
            if (e.CurrentState == System.Data.ConnectionState.Open) return;
            connection.StateChange -= Closed;
            if (Prepared.TryGetValue(connection, out var current) && ReferenceEquals(current, s)) Prepared.Remove(connection);
            s.Dispose();
        }
        connection.StateChange += Closed;
        return s;
    }

    private PurchaseWritten Write(Statements s, PurchaseWrite w)
    {
        var purchase = w.Purchase;
        MemberBalance? balance = null;
        var now = clock.GetUtcNow().UtcDateTime;
        if (w.Enrol is { } joining)
        {
            PurchaseRows.Member(s.Enrol.Begin(), joining);
            s.Enrol.Run();
        }
        if (w.MemberId is { } memberId)
        {
            var (available, pending, paid) = PurchaseRows.BalanceChange(w);
            var update = s.Member.Begin();
            update.Long(available);
            update.Long(paid);
            update.Long(pending);
            update.Id(memberId);
            update.Id(w.ProgrammeId);
            update.Int(w.SeenPurchaseCount);
            // All of an UPDATE … RETURNING is done in its first step; the row it returns is the balance after it.
            try
            {
                if (!update.Step()) return new PurchaseWritten(WriteStatus.Stale);
                balance = new MemberBalance { Available = update.Column(0), Pending = update.Column(1) };
            }
            finally
            {
                update.Reset();
            }
            if (w.Debit is { } debit) purchase.PaymentTransactionId = Pay(s, w, debit, memberId, now);
        }

        PurchaseRows.Purchase(s.Purchase.Begin(), purchase);
        s.Purchase.Run();
        var lines = purchase.Lines;
        for (var at = 0; at < lines.Count; at += LinesPerInsert)
        {
            var n = Math.Min(LinesPerInsert, lines.Count - at);
            var insert = s.Lines(n).Begin();
            for (var i = 0; i < n; i++) PurchaseRows.Line(insert, lines[at + i]);
            insert.Run();
        }

        PointLot? lot = null;
        if (w.Credit is { Points: > 0 } credit)
        {
            InsertTransaction(s, PurchaseRows.EarnTransaction(w, credit, now), PurchaseRows.EarnEntries(w, credit));
            lot = PurchaseRows.EarnLot(w, credit);
            PurchaseRows.Lot(s.Lot.Begin(), lot);
            s.Lot.Run();
            lot.Id = s.LastRowId;
        }
        if (w.Claim is { } claim)
        {
            PurchaseRows.Claim(s.Claim.Begin(), claim);
            s.Claim.Run();
        }
        return new PurchaseWritten(WriteStatus.Written, purchase, balance, lot);
    }

    /// <summary>Draws the paid points from the member's lots oldest-first and records the payment; returns its transaction's id.</summary>
    private static long Pay(Statements s, PurchaseWrite w, PurchaseDebit debit, Guid memberId, DateTime now)
    {
        var lots = new List<LotState>();
        var read = s.Lots.Begin();
        read.Id(memberId);
        try
        {
            while (read.Step())
                lots.Add(new LotState(read.Column(0), TreueDb.FromStoredTime(read.Column(1)), read.IsNull(2) ? null : TreueDb.FromStoredTime(read.Column(2)), read.Column(3)));
        }
        finally
        {
            read.Reset();
        }
        var draws = PointLots.DrawOldestFirst(lots, debit.Points)
            ?? throw new InvalidOperationException($"Lots of member {memberId} do not cover the cached balance.");
        foreach (var d in draws)
        {
            var take = s.Draw.Begin();
            take.Long(d.Points);
            take.Long(d.LotId);
            if (take.Run() != 1) throw new InvalidOperationException($"Lot {d.LotId} changed under a member lock.");
        }
        var id = InsertTransaction(s, PurchaseRows.DebitTransaction(w, debit, now), PurchaseRows.DebitEntries(w, debit));
        foreach (var d in draws)
        {
            var record = s.DrawRecord.Begin();
            record.Long(id);
            PurchaseRows.Draw(record, w.ProgrammeId, memberId, d);
            record.Run();
        }
        return id;
    }

    private static long InsertTransaction(Statements s, in TransactionRow row, (EntryRow From, EntryRow To) entries)
    {
        PurchaseRows.Transaction(s.Transaction.Begin(), row);
        s.Transaction.Run();
        var id = s.LastRowId;
        var insert = s.Entries.Begin();
        insert.Long(id);
        PurchaseRows.Entry(insert, entries.From);
        insert.Long(id);
        PurchaseRows.Entry(insert, entries.To);
        insert.Run();
        return id;
    }

    /// <summary>The statements of one connection's SQLite handle, prepared on first use.</summary>
    private sealed class Statements(SqliteConnection connection) : IDisposable
    {
        private readonly Statement?[] _lines = new Statement?[LinesPerInsert + 1];

        /// <summary>The SQLite handle the statements were prepared on.</summary>
        public sqlite3 Handle { get; } = connection.Handle!;

        public void Dispose()
        {
            foreach (var statement in new[] { Enrol, Member, Lots, Draw, DrawRecord, Purchase, Transaction, Entries, Lot, Claim }.Concat(_lines.OfType<Statement>()))
                statement.Dispose();
        }

        public Statement Enrol { get; } = Insert(connection.Handle!, "members", PurchaseRows.MemberColumns, 1);

        public Statement Member { get; } = new(connection.Handle!, """
            UPDATE "members" SET "available" = "available" + ?1 - ?2, "pending" = "pending" + ?3, "purchase_count" = "purchase_count" + 1
            WHERE "id" = ?4 AND "programme_id" = ?5 AND "purchase_count" = ?6 AND "available" >= ?2
              AND "available" + ?1 - ?2 >= 0 AND "pending" + ?3 >= 0
            RETURNING "available", "pending"
            """);

        public Statement Lots { get; } = new(connection.Handle!,
            $"""SELECT "id", "earned_at", "expires_at", "remaining" FROM "point_lots" WHERE "member_id" = ?1 AND "status" = {(int)LotStatus.Available} AND "remaining" > 0""");

        public Statement Draw { get; } = new(connection.Handle!,
            """UPDATE "point_lots" SET "remaining" = "remaining" - ?1 WHERE "id" = ?2 AND "remaining" >= ?1""");

        public Statement DrawRecord { get; } = Insert(connection.Handle!, "lot_draws", ["transaction_id", .. PurchaseRows.DrawColumns], 1);

        public Statement Purchase { get; } = Insert(connection.Handle!, "purchases", PurchaseRows.PurchaseColumns, 1);

        public Statement Transaction { get; } = Insert(connection.Handle!, "ledger_transactions", PurchaseRows.TransactionColumns, 1);

        public Statement Entries { get; } = Insert(connection.Handle!, "ledger_entries", ["transaction_id", .. PurchaseRows.EntryColumns], 2);

        public Statement Lot { get; } = Insert(connection.Handle!, "point_lots", PurchaseRows.LotColumns, 1);

        public Statement Claim { get; } = Insert(connection.Handle!, "idempotency_records", PurchaseRows.ClaimColumns, 1);

        /// <summary>The insert of <paramref name="rows"/> purchase lines.</summary>
        public Statement Lines(int rows) => _lines[rows] ??= Insert(Handle, "purchase_lines", PurchaseRows.LineColumns, rows);

        /// <summary>The id of the row the last insert on this connection made.</summary>
        public long LastRowId => raw.sqlite3_last_insert_rowid(Handle);

        private static Statement Insert(sqlite3 db, string table, string[] columns, int rows)
        {
            var sql = new StringBuilder($"INSERT INTO \"{table}\" (\"{string.Join("\", \"", columns)}\") VALUES ");
            for (var r = 0; r < rows; r++)
            {
                sql.Append(r == 0 ? "(" : ", (");
                for (var c = 0; c < columns.Length; c++) sql.Append(c == 0 ? "?" : ", ?");
                sql.Append(')');
            }
            return new Statement(db, sql.ToString());
        }
    }

    /// <summary>
    /// One statement prepared on a SQLite handle and run again and again, its parameters bound by position in the form
    /// SQLite stores: ids as 16-byte big-endian blobs, times as microseconds since 1970, enums as their numbers, decimals
    /// as text as EF Core's SQLite provider writes them. It binds through SQLite's own API, without a parameter object
    /// or a name look-up per value, which on a purchase of three lines saved about half of the store's time.
    /// </summary>
    private sealed class Statement : IRowValues, IDisposable
    {
        private readonly sqlite3 _db;
        private readonly sqlite3_stmt _stmt;
        private readonly int _parameters;
        private int _next;

        public Statement(sqlite3 db, string sql)
        {
            _db = db;
            var rc = raw.sqlite3_prepare_v2(db, sql, out _stmt);
            if (rc != raw.SQLITE_OK) SqliteException.ThrowExceptionForRC(rc, db);
            _parameters = raw.sqlite3_bind_parameter_count(_stmt);
        }

        public void Dispose() => _stmt.Dispose();

        /// <summary>Starts binding a new run.</summary>
        public Statement Begin()
        {
            _next = 1;
            return this;
        }

        /// <summary>Runs a statement that returns no rows; returns the number of rows it changed.</summary>
        public int Run()
        {
            try
            {
                if (Step()) throw new InvalidOperationException("A statement run for its changes returned a row.");
                return raw.sqlite3_changes(_db);
            }
            finally
            {
                Reset();
            }
        }

        /// <summary>Steps once: true with a row to read, false when done. The first step checks that every parameter was bound.</summary>
        public bool Step()
        {
            if (_next != 0)
            {
                if (_next - 1 != _parameters)
                    throw new InvalidOperationException($"{_next - 1} values were bound to a statement of {_parameters} parameters.");
                _next = 0;
            }
            var rc = raw.sqlite3_step(_stmt);
            if (rc == raw.SQLITE_ROW) return true;
            if (rc != raw.SQLITE_DONE) SqliteException.ThrowExceptionForRC(rc, _db);
            return false;
        }

        /// <summary>Makes the statement ready to run again (its bindings stay until bound again).</summary>
        public void Reset() => raw.sqlite3_reset(_stmt);

        /// <summary>The current row's column <paramref name="i"/> as an integer.</summary>
        public long Column(int i) => raw.sqlite3_column_int64(_stmt, i);

        /// <summary>Whether the current row's column <paramref name="i"/> is null.</summary>
        public bool IsNull(int i) => raw.sqlite3_column_type(_stmt, i) == raw.SQLITE_NULL;

        private void Bound(int rc)
        {
            if (rc != raw.SQLITE_OK) SqliteException.ThrowExceptionForRC(rc, _db);
            _next++;
        }

        private void Null() => Bound(raw.sqlite3_bind_null(_stmt, _next));

        public void Id(Guid value)
        {
            Span<byte> b = stackalloc byte[16];
            value.TryWriteBytes(b, bigEndian: true, out _);
            Bound(raw.sqlite3_bind_blob(_stmt, _next, b));
        }

        public void Id(Guid? value)
        {
            if (value is { } id) Id(id);
            else Null();
        }

        public void Time(DateTime value) => Long(TreueDb.StoredTime(value));

        public void Time(DateTime? value)
        {
            if (value is { } t) Time(t);
            else Null();
        }

        public void Long(long value) => Bound(raw.sqlite3_bind_int64(_stmt, _next, value));

        public void Long(long? value)
        {
            if (value is { } v) Long(v);
            else Null();
        }

        public void Int(int value) => Long((long)value);

        public void Int(int? value)
        {
            if (value is { } v) Long((long)v);
            else Null();
        }

        public void Small(short value) => Long((long)value);

        public void Text(string? value)
        {
            if (value is null) Null();
            else Bound(raw.sqlite3_bind_text(_stmt, _next, value));
        }

        public void Bytes(byte[] value) => Bound(raw.sqlite3_bind_blob(_stmt, _next, value));

        public void Hex(string value)
        {
            Span<byte> b = stackalloc byte[value.Length / 2];
            Convert.FromHexString(value, b, out _, out _);
            Bound(raw.sqlite3_bind_blob(_stmt, _next, b));
        }

        public void Date(DateOnly? value)
        {
            if (value is { } d) Text(d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
            else Null();
        }

        // As Microsoft.Data.Sqlite binds a decimal for EF Core's SQLite model: text, with at least one decimal ("1.0", "0.5").
        public void Decimal(decimal value) => Text(value.ToString("0.0###########################", CultureInfo.InvariantCulture));
    }
}
