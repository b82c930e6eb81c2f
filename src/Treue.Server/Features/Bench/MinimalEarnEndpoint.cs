using System.Data.Common;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Treue.Server.Infrastructure;
using Treue.Storage;

namespace Treue.Server.Features.Bench;

/// <summary>An earn reduced to what the database must do: the idempotency key, the guarded balance change, a durable commit.</summary>
/// <param name="IdempotencyKey">Makes a retry change nothing. Sent in the body, not as a header, so that the server's
/// idempotency middleware (its own claim and stored response) stays out of the measurement.</param>
/// <param name="MemberId">Whose balance changes. Any id: the balance lives in the benchmark's own table.</param>
/// <param name="Points">Points to add (negative: to take).</param>
public sealed record MinimalEarnRequest(string? IdempotencyKey, Guid MemberId, long Points);

/// <summary>What a minimal earn did.</summary>
/// <param name="Applied">False when the idempotency key had been used before: nothing changed.</param>
/// <param name="Available">The balance after the change, when applied.</param>
public sealed record MinimalEarnResult(bool Applied, long? Available);

/// <summary>
/// <c>POST /api/v1/bench/minimal-earn</c>: a benchmark aid, off unless <c>Treue:Bench:MinimalEarn</c> is true, and
/// absent from the OpenAPI document. It is the second baseline of <c>bench/Treue.Bench</c>: one transaction per
/// request with an idempotency-key insert and a guarded balance update, in plain ADO.NET on the server's database,
/// without rules, lines, ledger or EF Core, so that the full earn can be compared with what the database itself
/// allows on the same machine.
/// </summary>
/// <remarks>
/// It writes to two tables of its own (<c>bench_earn_keys</c>, <c>bench_balances</c>, created on first use), never to
/// members: a member's cached balance must always equal the sum of their ledger entries, and this endpoint writes none.
/// </remarks>
public static class MinimalEarnEndpoint
{
    /// <summary>The setting that maps the endpoint.</summary>
    public const string Setting = "Treue:Bench:MinimalEarn";

    /// <summary>Maps the endpoint when <see cref="Setting"/> is true; otherwise the path does not exist.</summary>
    public static RouteGroupBuilder MapMinimalEarn(this RouteGroupBuilder api)
    {
        var services = ((IEndpointRouteBuilder)api).ServiceProvider;
        if (!services.GetRequiredService<IConfiguration>().GetValue<bool>(Setting)) return api;
        var store = new MinimalEarnStore();
        services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopped.Register(() => store.DisposeAsync().AsTask().GetAwaiter().GetResult());
        api.MapPost("/bench/minimal-earn", (MinimalEarnRequest req, HttpContext http, CancellationToken ct) => EarnAsync(store, req, http, ct))
            .RequireAuthorization(Policies.Pos)
            .ExcludeFromDescription();
        return api;
    }

    private static async Task<Results<Ok<MinimalEarnResult>, ProblemHttpResult>> EarnAsync(MinimalEarnStore store, MinimalEarnRequest req,
        HttpContext http, CancellationToken ct)
    {
        var v = new Validation();
        v.Text(req.IdempotencyKey, "idempotencyKey", 255);
        v.Check(req.MemberId != Guid.Empty, "memberId", "is required");
        v.Points(req.Points, "points", InputBounds.MaxAdjustmentPoints);
        if (v.Failed) return v.Problem();
        var result = await store.EarnAsync(http.RequestServices, Caller.From(http.User).ProgrammeId, req, ct);
        return result is null
            ? Problems.Problem("insufficient_points", "The balance would fall below zero.", "points")
            : TypedResults.Ok(result);
    }
}

/// <summary>The minimal earn's SQL, for SQLite and PostgreSQL.</summary>
internal sealed class MinimalEarnStore : IAsyncDisposable
{
    // SQLite admits one writer at a time. Writers take turns here, on one connection with its statements prepared once,
    // instead of finding the database locked and retrying, which would measure the waiting rather than the database.
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Lock _lock = new();
    private Task? _ready;
    private DatabaseProvider _provider;
    private SqliteConnection? _sqlite;
    private Statements? _sqliteStatements;
    private NpgsqlDataSource? _postgres;

    public async Task<MinimalEarnResult?> EarnAsync(IServiceProvider requestServices, Guid programmeId, MinimalEarnRequest req, CancellationToken ct)
    {
        await ReadyAsync(requestServices);
        if (_provider == DatabaseProvider.Postgres)
        {
            // Npgsql prepares the statements per physical connection (the server's connection strings set Max Auto Prepare).
            await using var connection = await _postgres!.OpenConnectionAsync(ct);
            await using var statements = new Statements(connection);
            return await statements.EarnAsync(programmeId, req, ct);
        }
        await _gate.WaitAsync(ct);
        try
        {
            // Not cancelled halfway: the connection is shared, so its transaction must end in a commit or a rollback here.
            return await _sqliteStatements!.EarnAsync(programmeId, req, CancellationToken.None);
        }
        finally
        {
            _gate.Release();
        }
    }

    private Task ReadyAsync(IServiceProvider requestServices)
    {
        lock (_lock)
        {
            if (_ready is { IsFaulted: true } or { IsCanceled: true }) _ready = null;
            return _ready ??= PrepareAsync(requestServices.GetRequiredService<TreueDb>().Database.GetConnectionString()!);
        }
    }

    private async Task PrepareAsync(string connectionString)
    {
        _provider = StorageSetup.Detect(connectionString);
        if (_provider == DatabaseProvider.Postgres)
        {
            _postgres = NpgsqlDataSource.Create(connectionString);
            await using var connection = await _postgres.OpenConnectionAsync();
            await using var create = connection.CreateCommand();
            create.CommandText = """
                CREATE TABLE IF NOT EXISTS bench_earn_keys (programme_id uuid NOT NULL, key text NOT NULL, PRIMARY KEY (programme_id, key));
                CREATE TABLE IF NOT EXISTS bench_balances (programme_id uuid NOT NULL, member_id uuid NOT NULL, available bigint NOT NULL,
                    PRIMARY KEY (programme_id, member_id));
                """;
            try
            {
                await create.ExecuteNonQueryAsync();
            }
            catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.UniqueViolation or PostgresErrorCodes.DuplicateTable)
            {
                // Another node created the tables at the same moment.
            }
            return;
        }
        var sqlite = new SqliteConnection(new SqliteConnectionStringBuilder(connectionString) { Pooling = false, DefaultTimeout = 30 }.ConnectionString);
        await sqlite.OpenAsync();
        await using (var setup = sqlite.CreateCommand())
        {
            // Durable as the server's own connections: WAL, and every commit synced before it is acknowledged.
            setup.CommandText = """
                PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;
                CREATE TABLE IF NOT EXISTS bench_earn_keys (programme_id BLOB NOT NULL, key TEXT NOT NULL, PRIMARY KEY (programme_id, key)) WITHOUT ROWID;
                CREATE TABLE IF NOT EXISTS bench_balances (programme_id BLOB NOT NULL, member_id BLOB NOT NULL, available INTEGER NOT NULL,
                    PRIMARY KEY (programme_id, member_id)) WITHOUT ROWID;
                """;
            await setup.ExecuteNonQueryAsync();
        }
        _sqliteStatements = new Statements(sqlite);
        _sqlite = sqlite;
    }

    public async ValueTask DisposeAsync()
    {
        if (_sqliteStatements is not null) await _sqliteStatements.DisposeAsync();
        if (_sqlite is not null) await _sqlite.DisposeAsync();
        if (_postgres is not null) await _postgres.DisposeAsync();
        _gate.Dispose();
    }

    /// <summary>The three statements of an earn on one connection.</summary>
    private sealed class Statements : IAsyncDisposable
    {
        private readonly DbConnection _connection;
        private readonly DbCommand _claim, _update, _insert;
        private readonly bool _binaryIds;

        public Statements(DbConnection connection)
        {
            _connection = connection;
            // Ids as 16 bytes on SQLite (BLOB keys), as uuid on PostgreSQL.
            _binaryIds = connection is SqliteConnection;
            _claim = Command("INSERT INTO bench_earn_keys (programme_id, key) VALUES (@p, @k) ON CONFLICT DO NOTHING", "@p", "@k");
            _update = Command("UPDATE bench_balances SET available = available + @n WHERE programme_id = @p AND member_id = @m AND available + @n >= 0 " +
                "RETURNING available", "@p", "@m", "@n");
            // A member's first earn creates the row; when a concurrent first earn of the same member got there first,
            // this inserts nothing and the update runs again.
            _insert = Command("INSERT INTO bench_balances (programme_id, member_id, available) VALUES (@p, @m, @n) ON CONFLICT DO NOTHING " +
                "RETURNING available", "@p", "@m", "@n");
        }

        /// <summary>The earn in one transaction; null when the balance would fall below zero (nothing is written).</summary>
        public async Task<MinimalEarnResult?> EarnAsync(Guid programmeId, MinimalEarnRequest req, CancellationToken ct)
        {
            await using var tx = await _connection.BeginTransactionAsync(ct);
            foreach (var cmd in (DbCommand[])[_claim, _update, _insert])
            {
                cmd.Transaction = tx;
                Set(cmd, "@p", _binaryIds ? programmeId.ToByteArray() : programmeId);
                Set(cmd, "@k", req.IdempotencyKey!);
                Set(cmd, "@m", _binaryIds ? req.MemberId.ToByteArray() : req.MemberId);
                Set(cmd, "@n", req.Points);
            }
            if (await _claim.ExecuteNonQueryAsync(ct) == 0)
            {
                await tx.RollbackAsync(ct);
                return new MinimalEarnResult(false, null);
            }
            var available = await _update.ExecuteScalarAsync(ct);
            if (available is null && req.Points > 0)
                available = await _insert.ExecuteScalarAsync(ct) ?? await _update.ExecuteScalarAsync(ct);
            if (available is null)
            {
                await tx.RollbackAsync(ct);
                return null;
            }
            await tx.CommitAsync(ct);
            return new MinimalEarnResult(true, Convert.ToInt64(available, System.Globalization.CultureInfo.InvariantCulture));
        }

        private DbCommand Command(string sql, params string[] parameters)
        {
            var cmd = _connection.CreateCommand();
            cmd.CommandText = sql;
            foreach (var name in parameters)
            {
                var p = cmd.CreateParameter();
                p.ParameterName = name;
                cmd.Parameters.Add(p);
            }
            return cmd;
        }

        private static void Set(DbCommand cmd, string name, object value)
        {
            if (cmd.Parameters.Contains(name)) cmd.Parameters[name].Value = value;
        }

        public async ValueTask DisposeAsync()
        {
            await _claim.DisposeAsync();
            await _update.DisposeAsync();
            await _insert.DisposeAsync();
        }
    }
}
