using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;
using NpgsqlTypes;
using Treue.Domain.Ledger;
using Treue.Storage.Entities;

namespace Treue.Storage.Purchases;

/// <summary>
/// The purchase store on PostgreSQL: its own SQL through Npgsql on the caller's connection and transaction, as few round
/// trips as the guards allow, with prepared statements (the same statement text for every purchase of the same shape).
/// <para>
/// A purchase without payment by points is one statement and one round trip: the guarded <c>UPDATE</c> of the member
/// (the purchase count the decision saw) heads a chain of data-modifying <c>WITH</c> parts that insert the purchase,
/// its lines (all in one <c>unnest</c> of arrays), the earn transaction with its two entries, its lot and the request's
/// idempotency record, each only for the member row the update returned. When the guard fails, nothing is inserted and
/// the write is <see cref="WriteStatus.Stale"/>. An anonymous purchase is the same statement without the member.
/// </para>
/// <para>
/// A payment with points needs the member's lots, which only the database has: the first round trip updates the member
/// under both guards (count and available points) and reads the lots in one batch; the second draws from the lots the
/// domain chose (an <c>UPDATE</c> each) and inserts the payment's transaction, entries and draws; the third writes the
/// rest as above, without the member's update.
/// </para>
/// </summary>
public sealed class PostgresPurchaseStore(TimeProvider clock) : IPurchaseStore
{
    private static readonly CompositeFormat MemberUpdate = CompositeFormat.Parse("""
        UPDATE "members" SET "available" = "available" + {0} - {1}, "pending" = "pending" + {2}, "purchase_count" = "purchase_count" + 1
        WHERE "id" = {3} AND "programme_id" = {4} AND "purchase_count" = {5} AND "available" >= {1}
          AND "available" + {0} - {1} >= 0 AND "pending" + {2} >= 0
        RETURNING "available", "pending"
        """);

    /// <inheritdoc />
    public async Task<PurchaseWritten> WriteAsync(TreueDb db, PurchaseWrite write, CancellationToken ct)
    {
        if (db.Database.CurrentTransaction?.GetDbTransaction() is not NpgsqlTransaction { Connection: { } connection } tx)
            throw new InvalidOperationException("The purchase store writes inside the caller's transaction, and none is open.");
        try
        {
            return await WriteAsync(connection, tx, write, ct);
        }
        catch (PostgresException e) when (StoreErrors.UniqueViolation(e) is { } table && StoreErrors.Duplicate(table) is { } status)
        {
            return new PurchaseWritten(status);
        }
    }

    private async Task<PurchaseWritten> WriteAsync(NpgsqlConnection connection, NpgsqlTransaction tx, PurchaseWrite w, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var purchase = w.Purchase;
        MemberBalance? balance = null;
        var guarded = w.MemberId is not null;
        if (w.Enrol is { } joining)
        {
            // Its own statement: the parts of one statement see the same snapshot, so the member update would not see it.
            var values = new Values();
            var insert = new StringBuilder("INSERT INTO \"members\" ").Append(Columns(PurchaseRows.MemberColumns)).Append(" VALUES (");
            values.Into(insert, () => PurchaseRows.Member(values, joining));
            insert.Append(')');
            await using var enrol = new NpgsqlCommand(insert.ToString(), connection, tx);
            values.AddTo(enrol.Parameters);
            await enrol.ExecuteNonQueryAsync(ct);
        }
        if (w.MemberId is { } memberId && w.Debit is { } debit)
        {
            var (paymentId, paidBalance) = await PayAsync(connection, tx, w, debit, memberId, now, ct);
            if (paidBalance is null) return new PurchaseWritten(WriteStatus.Stale);
            (purchase.PaymentTransactionId, balance, guarded) = (paymentId, paidBalance, false);
        }

        var v = new Values();
        var sql = new StringBuilder("WITH ");
        var from = "";
        if (guarded)
        {
            MemberPart(sql, v, w);
            sql.Append(", ");
            from = " FROM \"m\"";
        }
        sql.Append("\"p\" AS (INSERT INTO \"purchases\" ").Append(Columns(PurchaseRows.PurchaseColumns)).Append(" SELECT ");
        v.Into(sql, () => PurchaseRows.Purchase(v, purchase));
        sql.Append(from).Append(')');
        if (purchase.Lines.Count > 0)
        {
            sql.Append(", \"l\" AS (INSERT INTO \"purchase_lines\" ").Append(Columns(PurchaseRows.LineColumns)).Append(" SELECT \"u\".* FROM ")
                .Append(guarded ? "\"m\", " : "").Append("unnest(");
            var lines = new Arrays(PurchaseRows.LineColumns.Length);
            foreach (var line in purchase.Lines) PurchaseRows.Line(lines, line);
            lines.Into(sql, v);
            sql.Append(") AS \"u\")");
        }
        PointLot? lot = null;
        if (w.Credit is { Points: > 0 } credit)
        {
            sql.Append(", ");
            TransactionPart(sql, v, "t", PurchaseRows.EarnTransaction(w, credit, now), PurchaseRows.EarnEntries(w, credit), from);
            var earnLot = lot = PurchaseRows.EarnLot(w, credit);
            sql.Append(", \"lot\" AS (INSERT INTO \"point_lots\" ").Append(Columns(PurchaseRows.LotColumns)).Append(" SELECT ");
            v.Into(sql, () => PurchaseRows.Lot(v, earnLot));
            sql.Append(from).Append(" RETURNING \"id\")");
        }
        if (w.Claim is { } claim)
        {
            sql.Append(", \"k\" AS (INSERT INTO \"idempotency_records\" ").Append(Columns(PurchaseRows.ClaimColumns)).Append(" SELECT ");
            v.Into(sql, () => PurchaseRows.Claim(v, claim));
            sql.Append(from).Append(')');
        }
        var lotId = lot is null ? "NULL::bigint" : "(SELECT \"id\" FROM \"lot\")";
        sql.Append(guarded ? $" SELECT \"m\".\"available\", \"m\".\"pending\", {lotId} FROM \"m\"" : $" SELECT NULL::bigint, NULL::bigint, {lotId}");

        await using var command = new NpgsqlCommand(sql.ToString(), connection, tx);
        v.AddTo(command.Parameters);
        await command.PrepareAsync(ct);
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) return new PurchaseWritten(WriteStatus.Stale);
        if (guarded) balance = new MemberBalance { Available = reader.GetInt64(0), Pending = reader.GetInt64(1) };
        if (lot is not null) lot.Id = reader.GetInt64(2);
        return new PurchaseWritten(WriteStatus.Written, purchase, balance, lot);
    }

    /// <summary>
    /// Updates the member under both guards and reads their lots (one round trip); then draws the paid points and records
    /// the payment (a second). Returns the payment's transaction id and the balance, or a null balance when a guard failed.
    /// </summary>
    private static async Task<(long PaymentId, MemberBalance? Balance)> PayAsync(NpgsqlConnection connection, NpgsqlTransaction tx, PurchaseWrite w,
        PurchaseDebit debit, Guid memberId, DateTime now, CancellationToken ct)
    {
        MemberBalance balance;
        var lots = new List<LotState>();
        await using (var batch = new NpgsqlBatch(connection, tx))
        {
            var v = new Values();
            var update = new StringBuilder();
            MemberUpdateSql(update, v, w);
            var first = new NpgsqlBatchCommand(update.ToString());
            v.AddTo(first.Parameters);
            batch.BatchCommands.Add(first);
            var read = new NpgsqlBatchCommand(
                $"""SELECT "id", "earned_at", "expires_at", "remaining" FROM "point_lots" WHERE "member_id" = $1 AND "status" = {(int)LotStatus.Available} AND "remaining" > 0""");
            read.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Uuid, Value = memberId });
            batch.BatchCommands.Add(read);
            await batch.PrepareAsync(ct);
            await using var reader = await batch.ExecuteReaderAsync(ct);
            if (!await reader.ReadAsync(ct)) return (0, null);
            balance = new MemberBalance { Available = reader.GetInt64(0), Pending = reader.GetInt64(1) };
            await reader.NextResultAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                lots.Add(new LotState(reader.GetInt64(0), reader.GetFieldValue<DateTime>(1),
                    reader.IsDBNull(2) ? null : reader.GetFieldValue<DateTime>(2), reader.GetInt64(3)));
            }
        }
        var draws = PointLots.DrawOldestFirst(lots, debit.Points)
            ?? throw new InvalidOperationException($"Lots of member {memberId} do not cover the cached balance.");

        await using (var batch = new NpgsqlBatch(connection, tx))
        {
            foreach (var d in draws)
            {
                var take = new NpgsqlBatchCommand("""UPDATE "point_lots" SET "remaining" = "remaining" - $1 WHERE "id" = $2 AND "remaining" >= $1""");
                take.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Bigint, Value = d.Points });
                take.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Bigint, Value = d.LotId });
                batch.BatchCommands.Add(take);
            }
            var v = new Values();
            var sql = new StringBuilder("WITH ");
            TransactionPart(sql, v, "t", PurchaseRows.DebitTransaction(w, debit, now), PurchaseRows.DebitEntries(w, debit), "");
            sql.Append(", \"d\" AS (INSERT INTO \"lot_draws\" (\"transaction_id\", ").Append(Columns(PurchaseRows.DrawColumns)[1..])
                .Append(" SELECT \"t\".\"id\", \"u\".* FROM \"t\", unnest(");
            var rows = new Arrays(PurchaseRows.DrawColumns.Length);
            foreach (var d in draws) PurchaseRows.Draw(rows, w.ProgrammeId, memberId, d);
            rows.Into(sql, v);
            sql.Append(") AS \"u\") SELECT \"id\" FROM \"t\"");
            var record = new NpgsqlBatchCommand(sql.ToString());
            v.AddTo(record.Parameters);
            batch.BatchCommands.Add(record);
            await batch.PrepareAsync(ct);
            long id;
            await using (var reader = await batch.ExecuteReaderAsync(ct))
            {
                // The draws' updates return no rows; the insert's result is the last.
                while (!reader.HasRows || reader.FieldCount == 0)
                    if (!await reader.NextResultAsync(ct)) throw new InvalidOperationException("The payment's transaction returned no id.");
                await reader.ReadAsync(ct);
                id = reader.GetInt64(0);
            }
            for (var i = 0; i < draws.Count; i++)
            {
                if (batch.BatchCommands[i].RecordsAffected != 1) throw new InvalidOperationException($"Lot {draws[i].LotId} changed under a member lock.");
            }
            return (id, balance);
        }
    }

    private static void MemberPart(StringBuilder sql, Values v, PurchaseWrite w)
    {
        sql.Append("\"m\" AS (");
        MemberUpdateSql(sql, v, w);
        sql.Append(')');
    }

    private static void MemberUpdateSql(StringBuilder sql, Values v, PurchaseWrite w)
    {
        var (available, pending, paid) = PurchaseRows.BalanceChange(w);
        var p = new object?[6];
        p[0] = v.Add(NpgsqlDbType.Bigint, available);
        p[1] = v.Add(NpgsqlDbType.Bigint, paid);
        p[2] = v.Add(NpgsqlDbType.Bigint, pending);
        p[3] = v.Add(NpgsqlDbType.Uuid, w.MemberId!.Value);
        p[4] = v.Add(NpgsqlDbType.Uuid, w.ProgrammeId);
        p[5] = v.Add(NpgsqlDbType.Integer, w.SeenPurchaseCount);
        sql.AppendFormat(System.Globalization.CultureInfo.InvariantCulture, MemberUpdate, new ReadOnlySpan<object?>(p));
    }

    /// <summary>A transaction (named <paramref name="name"/>, returning its id) and its two entries, as parts of a <c>WITH</c>.</summary>
    private static void TransactionPart(StringBuilder sql, Values v, string name, in TransactionRow row, (EntryRow From, EntryRow To) entries, string from)
    {
        sql.Append('"').Append(name).Append("\" AS (INSERT INTO \"ledger_transactions\" ").Append(Columns(PurchaseRows.TransactionColumns)).Append(" SELECT ");
        var r = row;
        v.Into(sql, () => PurchaseRows.Transaction(v, r));
        sql.Append(from).Append(" RETURNING \"id\"), \"").Append(name).Append("e\" AS (INSERT INTO \"ledger_entries\" (\"transaction_id\", ")
            .Append(Columns(PurchaseRows.EntryColumns)[1..]).Append(" SELECT \"").Append(name).Append("\".\"id\", \"v\".* FROM \"").Append(name).Append("\", (VALUES (");
        v.Into(sql, () => PurchaseRows.Entry(v, entries.From));
        sql.Append("), (");
        v.Into(sql, () => PurchaseRows.Entry(v, entries.To));
        sql.Append(")) AS \"v\")");
    }

    private static string Columns(string[] columns) => "(\"" + string.Join("\", \"", columns) + "\")";

    /// <summary>The values of a row with the PostgreSQL type of each column, given to <see cref="Put"/> in column order.</summary>
    private abstract class TypedValues : IRowValues
    {
        protected abstract void Put(NpgsqlDbType type, object? value);

        public void Id(Guid value) => Put(NpgsqlDbType.Uuid, value);
        public void Id(Guid? value) => Put(NpgsqlDbType.Uuid, value);
        public void Time(DateTime value) => Put(NpgsqlDbType.TimestampTz, Utc(value));
        public void Time(DateTime? value) => Put(NpgsqlDbType.TimestampTz, value is { } t ? Utc(t) : null);
        public void Long(long value) => Put(NpgsqlDbType.Bigint, value);
        public void Long(long? value) => Put(NpgsqlDbType.Bigint, value);
        public void Int(int value) => Put(NpgsqlDbType.Integer, value);
        public void Int(int? value) => Put(NpgsqlDbType.Integer, value);
        public void Small(short value) => Put(NpgsqlDbType.Smallint, value);
        public void Text(string? value) => Put(NpgsqlDbType.Text, value);
        public void Bytes(byte[] value) => Put(NpgsqlDbType.Bytea, value);
        public void Hex(string value) => Put(NpgsqlDbType.Bytea, Convert.FromHexString(value));
        public void Decimal(decimal value) => Put(NpgsqlDbType.Numeric, value);
        public void Date(DateOnly? value) => Put(NpgsqlDbType.Date, value);

        private static DateTime Utc(DateTime t) => t.Kind == DateTimeKind.Utc ? t : t.ToUniversalTime();
    }

    /// <summary>Parameters in order (<c>$1</c>, <c>$2</c>, ...), each with its PostgreSQL type so that a prepared statement never changes.</summary>
    private sealed class Values : TypedValues
    {
        private readonly List<NpgsqlParameter> _parameters = [];
        private StringBuilder? _sql;
        private bool _first;

        /// <summary>Writes the placeholders of the values <paramref name="fill"/> adds into <paramref name="sql"/>, comma-separated.</summary>
        public void Into(StringBuilder sql, Action fill)
        {
            (_sql, _first) = (sql, true);
            fill();
            _sql = null;
        }

        public string Add(NpgsqlDbType type, object? value)
        {
            _parameters.Add(new NpgsqlParameter { NpgsqlDbType = type, Value = value ?? DBNull.Value });
            var placeholder = "$" + _parameters.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (_sql is not null)
            {
                if (!_first) _sql.Append(", ");
                _first = false;
                _sql.Append(placeholder);
                // In a SELECT list or VALUES the column's type is not inferred; the cast keeps the parameter's.
                _sql.Append("::").Append(TypeName(type));
            }
            return placeholder;
        }

        public void AddTo(NpgsqlParameterCollection target)
        {
            foreach (var p in _parameters) target.Add(p);
        }

        protected override void Put(NpgsqlDbType type, object? value) => Add(type, value);

        internal static string TypeName(NpgsqlDbType type) => (type & ~NpgsqlDbType.Array) switch
        {
            NpgsqlDbType.Uuid => "uuid",
            NpgsqlDbType.TimestampTz => "timestamptz",
            NpgsqlDbType.Bigint => "bigint",
            NpgsqlDbType.Integer => "integer",
            NpgsqlDbType.Smallint => "smallint",
            NpgsqlDbType.Text => "text",
            NpgsqlDbType.Bytea => "bytea",
            NpgsqlDbType.Numeric => "numeric",
            NpgsqlDbType.Date => "date",
            _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
        } + ((type & NpgsqlDbType.Array) != 0 ? "[]" : "");
    }

    /// <summary>Rows gathered column by column into arrays, which <c>unnest</c> turns back into rows: one parameter per column whatever the row count.</summary>
    private sealed class Arrays(int columns) : TypedValues
    {
        private readonly List<object?>[] _values = Enumerable.Range(0, columns).Select(_ => new List<object?>()).ToArray();
        private readonly NpgsqlDbType[] _types = new NpgsqlDbType[columns];
        private int _next;

        protected override void Put(NpgsqlDbType type, object? value)
        {
            _types[_next] = type;
            _values[_next].Add(value);
            _next = (_next + 1) % columns;
        }

        /// <summary>Adds one array parameter per column and writes their placeholders into <paramref name="sql"/>.</summary>
        public void Into(StringBuilder sql, Values v) =>
            v.Into(sql, () =>
            {
                for (var c = 0; c < columns; c++) v.Add(NpgsqlDbType.Array | _types[c], ToArray(_types[c], _values[c]));
            });

        private static Array ToArray(NpgsqlDbType type, List<object?> values) => type switch
        {
            NpgsqlDbType.Uuid => values.Select(x => (Guid?)x).ToArray(),
            NpgsqlDbType.TimestampTz => values.Select(x => (DateTime?)x).ToArray(),
            NpgsqlDbType.Bigint => values.Select(x => (long?)x).ToArray(),
            NpgsqlDbType.Integer => values.Select(x => (int?)x).ToArray(),
            NpgsqlDbType.Smallint => values.Select(x => (short?)x).ToArray(),
            NpgsqlDbType.Numeric => values.Select(x => (decimal?)x).ToArray(),
            NpgsqlDbType.Text => values.Select(x => (string?)x).ToArray(),
            NpgsqlDbType.Bytea => values.Select(x => (byte[]?)x).ToArray(),
            NpgsqlDbType.Date => values.Select(x => (DateOnly?)x).ToArray(),
            _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
        };
    }
}
