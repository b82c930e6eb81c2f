using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Treue.Storage;
using Treue.Storage.Entities;

namespace Treue.Server.Infrastructure;

/// <summary>Settings of idempotent requests.</summary>
public sealed class IdempotencyOptions
{
    /// <summary>How long a key and its response are kept; never less than 24 hours, whatever is configured.</summary>
    public TimeSpan Retention
    {
        get => _retention;
        set => _retention = value < TimeSpan.FromHours(24) ? TimeSpan.FromHours(24) : value;
    }

    private TimeSpan _retention = TimeSpan.FromHours(24);
}

/// <summary>
/// Marks an endpoint that changes nothing although its method is POST (a quote, a what-if replay): it takes no part in
/// idempotency or group commit, so it neither claims a key nor opens a write transaction (on SQLite, the only write lock).
/// </summary>
public sealed class WritesNothing
{
    public static readonly WritesNothing Instance = new();
}

/// <summary>
/// Marks an endpoint whose response carries a secret (a new API key) in the named top-level JSON members. The copy kept
/// for idempotent replays has those members set to null and <c>secretRedacted</c> set to true; only the first
/// response ever carries the secret.
/// </summary>
public sealed class SecretInResponse(params string[] members)
{
    /// <summary>The JSON member (camelCase, top level) that holds the secret.</summary>
    public IReadOnlyList<string> Members { get; } = members;

    /// <summary>The member a redacted copy carries, so that a replay says why the secret is missing.</summary>
    public const string RedactedMember = "secretRedacted";

    /// <summary>The body to store: the secret members nulled, or nothing at all when the body is not a JSON object.</summary>
    public byte[] Redact(byte[] body)
    {
        System.Text.Json.Nodes.JsonObject? json;
        try
        {
            json = System.Text.Json.Nodes.JsonNode.Parse(body) as System.Text.Json.Nodes.JsonObject;
        }
        catch (System.Text.Json.JsonException)
        {
            json = null;
        }
        // A body that cannot be read cannot be shown to be free of the secret, so none is kept.
        if (json is null) return [];
        var found = false;
        foreach (var member in Members)
        {
            if (!json.ContainsKey(member)) continue;
            json[member] = null;
            found = true;
        }
        if (found) json[RedactedMember] = true;
        return System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(json);
    }
}

/// <summary>Marks endpoints for <see cref="IdempotencyMiddleware"/>.</summary>
public static class IdempotencyExtensions
{
    /// <summary>The endpoint writes nothing: an <c>Idempotency-Key</c> is ignored and the request is never grouped.</summary>
    public static TBuilder WithWritesNothing<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(WritesNothing.Instance);

    /// <summary>The response carries a secret in these top-level JSON members, which a stored copy for replays must not.</summary>
    public static TBuilder WithSecretInResponse<TBuilder>(this TBuilder builder, params string[] members) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new SecretInResponse(members));
}

/// <summary>
/// Honours the <c>Idempotency-Key</c> header on every state-changing request under <c>/api/v1</c>, after the
/// IETF draft: the first response (status and body) is stored in the same transaction as the request's effects,
/// so a retry with the same key and the same body gets that response again and changes nothing; the same key with
/// another body is refused with 422; while the first request is still running, a retry gets 409.
/// Keys are scoped to the API key that sent them. Requests marked <see cref="WritesNothing"/> take no part; a response
/// marked <see cref="SecretInResponse"/> is stored without its secret.
/// </summary>
public sealed class IdempotencyMiddleware(RequestDelegate next)
{
    public const string Header = "Idempotency-Key";
    public const string ReplayedHeader = "Idempotent-Replayed";

    /// <summary>
    /// Whether a request of this method to an endpoint with this metadata takes part in idempotency (and group commit):
    /// only requests that can change state. The OpenAPI document says the same.
    /// </summary>
    public static bool Honours(string method, bool writesNothing) =>
        !writesNothing && !HttpMethods.IsGet(method) && !HttpMethods.IsHead(method) && !HttpMethods.IsOptions(method);

    public async Task InvokeAsync(HttpContext http, TreueDb db, TimeProvider clock, GroupCommit group)
    {
        var method = http.Request.Method;
        var endpoint = http.GetEndpoint();
        var writes = Honours(method, endpoint?.Metadata.GetMetadata<WritesNothing>() is not null) && http.User.Identity?.IsAuthenticated == true;
        var keyed = writes && http.Request.Headers.ContainsKey(Header);
        var grouped = writes && group.Enabled && endpoint?.Metadata.GetMetadata<GroupCommitted>() is not null;
        if (!keyed && !grouped)
        {
            await next(http);
            return;
        }

        Keyed? request = null;
        // A grouped request may run twice (see GroupCommit.RunAsync), so its body is kept to be read again.
        if (grouped) http.Request.EnableBuffering();
        if (keyed)
        {
            var key = http.Request.Headers[Header].ToString();
            if (key.Length is 0 or > 255 || key.Any(char.IsControl))
            {
                await Problems.Problem("validation_failed", "must be 1 to 255 printable characters", Header, 400).ExecuteAsync(http);
                return;
            }
            http.Request.EnableBuffering();
            var body = new MemoryStream();
            await http.Request.Body.CopyToAsync(body, http.RequestAborted);
            http.Request.Body.Position = 0;
            request = new Keyed(Caller.From(http.User), key, RequestHash(method, http.Request.Path + http.Request.QueryString, body.ToArray()));
        }

        // The response is held back until the transaction that holds the request's effects has committed.
        var original = http.Response.Body;
        var captured = new MemoryStream();
        http.Response.Body = captured;
        try
        {
            if (grouped)
            {
                var status = http.Response.StatusCode;
                var headers = http.Response.Headers.ToArray();
                void Reset()
                {
                    http.Request.Body.Position = 0;
                    captured.SetLength(0);
                    http.Response.StatusCode = status;
                    http.Response.Headers.Clear();
                    foreach (var (name, value) in headers) http.Response.Headers[name] = value;
                }
                await group.RunAsync((services, ct) => RunGroupedAsync(http, services, clock, request, ct), Reset, http.RequestAborted);
            }
            else await RunAloneAsync(http, db, clock, request!);
        }
        finally
        {
            http.Response.Body = original;
        }
        captured.Position = 0;
        await captured.CopyToAsync(original, http.RequestAborted);
    }

    /// <summary>The request runs in its own transaction.</summary>
    private async Task RunAloneAsync(HttpContext http, TreueDb db, TimeProvider clock, Keyed request)
    {
        for (var attempt = 0; ; attempt++)
        {
            await using var tx = await db.Database.BeginTransactionAsync(http.RequestAborted);
            try
            {
                var (record, conflict) = await ClaimAsync(http, db, clock, request, attempt);
                if (conflict) continue;
                if (record is not null && await RunAndStoreAsync(http, db, record, http.RequestAborted))
                    await tx.CommitAsync(http.RequestAborted);
                return;
            }
            finally
            {
                db.ChangeTracker.Clear();
            }
        }
    }

    /// <summary>
    /// The request runs inside a transaction shared with others (<see cref="GroupCommit"/>): endpoint services come from
    /// the group's scope, whose database context is bound to that transaction. Returns whether to keep its writes.
    /// </summary>
    private async Task<bool> RunGroupedAsync(HttpContext http, IServiceProvider services, TimeProvider clock, Keyed? request, CancellationToken ct)
    {
        var own = http.RequestServices;
        http.RequestServices = services;
        try
        {
            var db = services.GetRequiredService<TreueDb>();
            if (request is null)
            {
                await next(http);
                return http.Response.StatusCode < 500;
            }
            if (db.IsSqlite) return await RunGroupedOnSqliteAsync(http, db, clock, request, ct);
            for (var attempt = 0; ; attempt++)
            {
                // A savepoint, so that a failed claim of the key (a unique or lock conflict) leaves the shared transaction usable.
                await db.Database.CurrentTransaction!.CreateSavepointAsync("claim", ct);
                var (record, conflict) = await ClaimAsync(http, db, clock, request, attempt);
                if (conflict || record is null)
                {
                    await db.Database.CurrentTransaction!.RollbackToSavepointAsync("claim", ct);
                    if (conflict) continue;
                    return false;
                }
                return await RunAndStoreAsync(http, db, record, ct);
            }
        }
        finally
        {
            http.RequestServices = own;
        }
    }

    /// <summary>
    /// On SQLite the shared transaction holds the database's only write lock from its first statement (it begins
    /// <c>IMMEDIATE</c>), so no other request can claim the key between the look-up and the commit: a later request with
    /// the same key in the same group sees this one's record, and one in a later group sees it committed. The key is
    /// therefore written once, together with the response, instead of being claimed first and completed afterwards.
    /// </summary>
    private async Task<bool> RunGroupedOnSqliteAsync(HttpContext http, TreueDb db, TimeProvider clock, Keyed request, CancellationToken ct)
    {
        var existing = await FindRecord.For(db)(db, request.Caller.KeyId, request.Key);
        if (existing is not null)
        {
            await Replay(http, existing, request.Hash);
            return false;
        }
        await next(http);
        if (http.Response.StatusCode >= 500) return false;
        db.IdempotencyRecords.Add(new IdempotencyRecord
        {
            ProgrammeId = request.Caller.ProgrammeId, Scope = request.Caller.KeyId, Key = request.Key, RequestHash = request.Hash,
            CreatedAt = clock.GetUtcNow().UtcDateTime, StatusCode = http.Response.StatusCode, ContentType = http.Response.ContentType,
            Location = http.Response.Headers.Location.ToString() is { Length: > 0 } location ? location : null,
            Body = StoredBody(http),
        });
        await SqliteInserts.SaveAsync(db, ct);
        return true;
    }

    private static readonly ProviderCompiled<Func<TreueDb, Guid, string, Task<IdempotencyRecord?>>> FindRecord = new(() => EF.CompileAsyncQuery(
        (TreueDb db, Guid scope, string key) => db.IdempotencyRecords.AsNoTracking().SingleOrDefault(r => r.Scope == scope && r.Key == key)));

    /// <summary>
    /// Looks the key up and claims it with a new record. Returns the record when the request is to run; no record
    /// when the response was written already (a replay, a 422 or a 409); <c>Conflict</c> when another request claimed
    /// the key at the same moment and the look-up is to be repeated.
    /// </summary>
    private static async Task<(IdempotencyRecord? Record, bool Conflict)> ClaimAsync(HttpContext http, TreueDb db, TimeProvider clock, Keyed request, int attempt)
    {
        var ct = http.RequestAborted;
        var existing = await db.IdempotencyRecords.AsNoTracking()
            .SingleOrDefaultAsync(r => r.Scope == request.Caller.KeyId && r.Key == request.Key, ct);
        if (existing is not null)
        {
            await Replay(http, existing, request.Hash);
            return (null, false);
        }

        var record = new IdempotencyRecord
        {
            ProgrammeId = request.Caller.ProgrammeId, Scope = request.Caller.KeyId, Key = request.Key, RequestHash = request.Hash,
            CreatedAt = clock.GetUtcNow().UtcDateTime,
        };
        try
        {
            if (db.IsSqlite)
            {
                db.IdempotencyRecords.Add(record);
                await db.SaveChangesAsync(ct);
            }
            else
            {
                // One round trip: a request with the same key still running holds the key's index entry, and waiting
                // for it longer than a moment means it is in flight (409), not that it is about to be answered.
                await db.Database.ExecuteSqlInterpolatedAsync($"""
                    SET LOCAL lock_timeout = '200ms';
                    INSERT INTO "idempotency_records" ("scope", "key", "programme_id", "request_hash", "status_code", "body", "created_at")
                    VALUES ({record.Scope}, {record.Key}, {record.ProgrammeId}, {record.RequestHash}, 0, {Array.Empty<byte>()}, {record.CreatedAt});
                    SET LOCAL lock_timeout TO DEFAULT;
                    """, ct);
                db.IdempotencyRecords.Attach(record);
            }
            return (record, false);
        }
        catch (Exception e) when (IsLockTimeout(e))
        {
            db.ChangeTracker.Clear();
            await Problems.Problem("idempotency_key_in_use", "A request with this Idempotency-Key is still being processed; retry later.", Header).ExecuteAsync(http);
            return (null, false);
        }
        catch (Exception e) when (IsUniqueViolation(e) && attempt < 3)
        {
            // Another request with this key committed between our look-up and our insert: look again and replay it.
            db.ChangeTracker.Clear();
            return (null, true);
        }
    }

    /// <summary>Runs the endpoint and stores its response with the key. Returns false (nothing to keep) for a 5xx.</summary>
    private async Task<bool> RunAndStoreAsync(HttpContext http, TreueDb db, IdempotencyRecord record, CancellationToken ct)
    {
        await next(http);
        if (http.Response.StatusCode >= 500) return false;
        record.StatusCode = http.Response.StatusCode;
        record.ContentType = http.Response.ContentType;
        record.Location = http.Response.Headers.Location.ToString() is { Length: > 0 } location ? location : null;
        record.Body = StoredBody(http);
        db.IdempotencyRecords.Update(record);
        await db.SaveChangesAsync(ct);
        return true;
    }

    /// <summary>The response body as kept for replays: without the secret of an endpoint that answers with one.</summary>
    private static byte[] StoredBody(HttpContext http)
    {
        var body = ((MemoryStream)http.Response.Body).ToArray();
        return http.GetEndpoint()?.Metadata.GetMetadata<SecretInResponse>() is { } secret ? secret.Redact(body) : body;
    }

    private sealed record Keyed(Caller Caller, string Key, string Hash);

    private static async Task Replay(HttpContext http, IdempotencyRecord existing, string hash)
    {
        if (!string.Equals(existing.RequestHash, hash, StringComparison.Ordinal))
        {
            await Problems.Problem("idempotency_key_reused", "This Idempotency-Key was used with a different request body.", Header).ExecuteAsync(http);
            return;
        }
        http.Response.StatusCode = existing.StatusCode;
        if (existing.ContentType is not null) http.Response.ContentType = existing.ContentType;
        if (existing.Location is not null) http.Response.Headers.Location = existing.Location;
        http.Response.Headers[ReplayedHeader] = "true";
        await http.Response.Body.WriteAsync(existing.Body, http.RequestAborted);
    }

    private static string RequestHash(string method, string target, byte[] body)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(System.Text.Encoding.UTF8.GetBytes(method + " " + target + "\n"));
        sha.AppendData(body);
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    private static bool IsLockTimeout(Exception e) =>
        (e as PostgresException ?? e.InnerException as PostgresException)?.SqlState == PostgresErrorCodes.LockNotAvailable;

    internal static bool IsUniqueViolation(Exception e) => (e is DbUpdateException ? e.InnerException : e) switch
    {
        PostgresException pg => pg.SqlState == PostgresErrorCodes.UniqueViolation,
        Microsoft.Data.Sqlite.SqliteException sq => sq.SqliteErrorCode == 19,
        _ => false,
    };
}

/// <summary>Deletes stored idempotent responses older than the retention period, once an hour, on every node.</summary>
public sealed class IdempotencyCleanup(IServiceScopeFactory scopes, TimeProvider clock, Microsoft.Extensions.Options.IOptions<IdempotencyOptions> options,
    ILogger<IdempotencyCleanup> log) : BackgroundService
{
    /// <summary>Deletes records created before now minus the retention. Returns how many were deleted.</summary>
    public static Task<int> PurgeAsync(TreueDb db, DateTime nowUtc, TimeSpan retention, CancellationToken ct)
    {
        var cutoff = nowUtc - retention;
        return db.IdempotencyRecords.Where(r => r.CreatedAt < cutoff).ExecuteDeleteAsync(ct);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromHours(1), clock);
        do
        {
            try
            {
                using var scope = scopes.CreateScope();
                var n = await PurgeAsync(scope.ServiceProvider.GetRequiredService<TreueDb>(), clock.GetUtcNow().UtcDateTime, options.Value.Retention, stoppingToken);
                if (n > 0) log.LogInformation("Deleted {Count} expired idempotency records", n);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                log.LogError(e, "Deleting expired idempotency records failed");
            }
        } while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
