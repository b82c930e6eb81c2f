using System.Data;
using System.Data.Common;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace Treue.Storage;

/// <summary>
/// One read of the request path in plain ADO.NET on a context's own connection and transaction: the look-ups every
/// purchase, balance read and authenticated request makes (an idempotency key, a card, a member, a receipt, a programme's
/// version). EF Core's query pipeline costs far more than these single-row reads by an index do themselves, and a compiled
/// query would be bound to the model of the provider it first ran with.
/// <para>
/// Values are bound and read as the model stores them: on SQLite an id is 16 bytes (big-endian) and a time whole
/// microseconds since 1970 (see <see cref="TreueDb.StoredId"/> and <see cref="TreueDb.StoredTime"/>); PostgreSQL keeps
/// <c>uuid</c> and <c>timestamptz</c>. The connection is opened through EF Core (with the provider's settings) and
/// closed again on disposal, unless it was open before.
/// </para>
/// </summary>
public sealed class DirectQuery : IAsyncDisposable
{
    private readonly TreueDb _db;
    private readonly DbCommand _command;
    private readonly bool _sqlite;

    private DirectQuery(TreueDb db, DbCommand command, bool sqlite)
    {
        _db = db;
        _command = command;
        _sqlite = sqlite;
    }

    /// <summary>Opens the context's connection (if it is not open) and prepares a command with <paramref name="sql"/>.</summary>
    /// <remarks>Parameters are named <c>@name</c> in the SQL, which both providers read.</remarks>
    public static async Task<DirectQuery> OpenAsync(TreueDb db, string sql, CancellationToken ct)
    {
        await db.Database.OpenConnectionAsync(ct);
        var command = db.Database.GetDbConnection().CreateCommand();
        command.CommandText = sql;
        command.Transaction = db.Database.CurrentTransaction?.GetDbTransaction();
        return new DirectQuery(db, command, command is SqliteCommand);
    }

    /// <summary>Binds an id.</summary>
    public DirectQuery Id(string name, Guid value) => Add(name, _sqlite ? TreueDb.StoredId(value) : value);

    /// <summary>Binds a text.</summary>
    public DirectQuery Text(string name, string value) => Add(name, value);

    /// <summary>Binds a UTC time.</summary>
    public DirectQuery Time(string name, DateTime value) => Add(name, _sqlite ? TreueDb.StoredTime(value) : value);

    /// <summary>Binds a small number (an enum's stored value).</summary>
    public DirectQuery Number(string name, short value) => Add(name, value);

    private DirectQuery Add(string name, object value)
    {
        var p = _command.CreateParameter();
        p.ParameterName = name;
        p.Value = value;
        _command.Parameters.Add(p);
        return this;
    }

    /// <summary>Runs the command; the reader is the caller's to dispose.</summary>
    public Task<DbDataReader> ReadAsync(CancellationToken ct) => _command.ExecuteReaderAsync(CommandBehavior.SingleResult, ct);

    public async ValueTask DisposeAsync()
    {
        await _command.DisposeAsync();
        await _db.Database.CloseConnectionAsync();
    }
}

/// <summary>Reads columns as <see cref="DirectQuery"/> binds them, on either provider.</summary>
public static class DirectColumns
{
    /// <summary>An id column.</summary>
    public static Guid GetId(this DbDataReader r, int i) =>
        r is SqliteDataReader ? new Guid((byte[])r.GetValue(i), bigEndian: true) : r.GetGuid(i);

    /// <summary>A nullable id column.</summary>
    public static Guid? GetIdOrNull(this DbDataReader r, int i) => r.IsDBNull(i) ? null : r.GetId(i);

    /// <summary>A UTC time column.</summary>
    public static DateTime GetUtc(this DbDataReader r, int i) => r is SqliteDataReader
        ? TreueDb.FromStoredTime(r.GetInt64(i))
        : DateTime.SpecifyKind(r.GetDateTime(i), DateTimeKind.Utc);

    /// <summary>A nullable UTC time column.</summary>
    public static DateTime? GetUtcOrNull(this DbDataReader r, int i) => r.IsDBNull(i) ? null : r.GetUtc(i);

    /// <summary>A nullable text column.</summary>
    public static string? GetTextOrNull(this DbDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);

    /// <summary>A date column (SQLite keeps dates as <c>yyyy-MM-dd</c> text).</summary>
    public static DateOnly? GetDateOrNull(this DbDataReader r, int i) => r.IsDBNull(i) ? null : r is SqliteDataReader
        ? DateOnly.ParseExact(r.GetString(i), "yyyy-MM-dd", CultureInfo.InvariantCulture)
        : r.GetFieldValue<DateOnly>(i);

    /// <summary>An enum column, stored as its number.</summary>
    public static T GetEnum<T>(this DbDataReader r, int i) where T : struct, Enum
    {
        var n = (short)Convert.ToInt64(r.GetValue(i), CultureInfo.InvariantCulture);
        return (T)Enum.ToObject(typeof(T), n);
    }
}

/// <summary>Whole rows of the tables the request path reads with <see cref="DirectQuery"/>, as the entities EF Core would make.</summary>
public static class DirectRows
{
    /// <summary>The columns <see cref="Member"/> reads, for a <c>members</c> table aliased <paramref name="alias"/>.</summary>
    public static string MemberColumns(string alias) =>
        string.Join(", ", MemberNames.Select(n => alias + "." + n));

    private static readonly string[] MemberNames =
        ["id", "programme_id", "external_ref", "name", "email", "email_key", "birthday", "language", "status", "enrolled_at", "available", "pending", "purchase_count"];

    /// <summary>The number of columns <see cref="MemberColumns"/> names.</summary>
    public static int MemberWidth => MemberNames.Length;

    /// <summary>A member from the columns of <see cref="MemberColumns"/>, starting at <paramref name="at"/>.</summary>
    public static Entities.Member Member(DbDataReader r, int at) => new()
    {
        Id = r.GetId(at), ProgrammeId = r.GetId(at + 1), ExternalRef = r.GetTextOrNull(at + 2), Name = r.GetString(at + 3),
        Email = r.GetTextOrNull(at + 4), EmailKey = r.GetTextOrNull(at + 5), Birthday = r.GetDateOrNull(at + 6), Language = r.GetString(at + 7),
        Status = r.GetEnum<Entities.MemberStatus>(at + 8), EnrolledAt = r.GetUtc(at + 9), Available = r.GetInt64(at + 10), Pending = r.GetInt64(at + 11),
        PurchaseCount = r.GetInt32(at + 12),
    };

    /// <summary>The columns <see cref="Card"/> reads, for a <c>cards</c> table aliased <paramref name="alias"/>.</summary>
    public static string CardColumns(string alias) =>
        string.Join(", ", CardNames.Select(n => alias + "." + n));

    private static readonly string[] CardNames =
        ["id", "programme_id", "member_id", "number", "token", "kind", "status", "issued_at", "blocked_at", "block_reason", "replaced_by"];

    /// <summary>The number of columns <see cref="CardColumns"/> names.</summary>
    public static int CardWidth => CardNames.Length;

    /// <summary>A card from the columns of <see cref="CardColumns"/>, starting at <paramref name="at"/>.</summary>
    public static Entities.Card Card(DbDataReader r, int at) => new()
    {
        Id = r.GetId(at), ProgrammeId = r.GetId(at + 1), MemberId = r.GetId(at + 2), Number = r.GetString(at + 3), Token = r.GetTextOrNull(at + 4),
        Kind = r.GetEnum<Entities.CardKind>(at + 5), Status = r.GetEnum<Entities.CardStatus>(at + 6), IssuedAt = r.GetUtc(at + 7),
        BlockedAt = r.GetUtcOrNull(at + 8), BlockReason = r.GetTextOrNull(at + 9), ReplacedBy = r.GetTextOrNull(at + 10),
    };
}
