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
        if (!keyed)
        {
            if (writes) await RunAgainOnContentionAsync(http, db, null, () => next(http));
            else await next(http);
            return;
        }
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
        var request = new Keyed(Caller.From(http.User), key, RequestHash(method, http.Request.Path + http.Request.QueryString, body.ToArray()));

        // The response is held back until the transaction that holds the request's effects has committed.
        var original = http.Response.Body;
        var captured = new MemoryStream();
        http.Response.Body = captured;
        try
        {
            if (group.Running && endpoint?.Metadata.GetMetadata<GroupCommitted>() is not null)
                await RunGroupedAsync(http, db, clock, group, request);
            else await RunAgainOnContentionAsync(http, db, captured, () => RunAloneAsync(http, db, clock, request));
        }
        finally
        {
            http.Response.Body = original;
        }
        captured.Position = 0;
        await captured.CopyToAsync(original, http.RequestAborted);
    }

    /// <summary>How often a write that runs in its own transaction runs again after PostgreSQL rolled it back in a deadlock.</summary>
    public const int MaxContentionRetries = 3;

    /// <summary>
    /// Runs a write that has its own transaction and, when PostgreSQL rolls it back because it deadlocked with another
    /// transaction (a purchase's group, a redemption), runs it again with its body read afresh, up to
    /// <see cref="MaxContentionRetries"/> times, instead of answering <c>503 contended</c>. Nothing of the lost attempt
    /// was kept, so running it again is safe.
    /// </summary>
    private static async Task RunAgainOnContentionAsync(HttpContext http, TreueDb db, MemoryStream? captured, Func<Task> run)
    {
        if (!db.IsSqlite) http.Request.EnableBuffering();
        // What the response held before the request ran (headers of the edge), to start each attempt from.
        var status = http.Response.StatusCode;
        var headers = http.Response.Headers.ToArray();
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await run();
                return;
            }
            catch (Exception e) when (!db.IsSqlite && attempt < MaxContentionRetries && ErrorHandling.Contended(e) && !http.Response.HasStarted)
            {
                db.ChangeTracker.Clear();
                http.Request.Body.Position = 0;
                captured?.SetLength(0);
                http.Response.StatusCode = status;
                http.Response.Headers.Clear();
                foreach (var (name, value) in headers) http.Response.Headers[name] = value;
                await Task.Delay(Random.Shared.Next(5, 25 * attempt), http.RequestAborted);
            }
        }
    }

    /// <summary>The request runs in its own transaction, and its response is stored in it.</summary>
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
    /// The endpoint's act writes through <see cref="GroupCommit"/>. The act records the key with its own writes (in the
    /// same savepoint), as the outcome and the resource it made (<see cref="PendingIdempotency"/>); a request whose act
    /// wrote nothing (a refusal, a receipt recorded before) has its response stored here instead. Either way the key is
    /// claimed by a unique insert, and the request that loses a race for it answers with the winner's outcome.
    /// </summary>
    private async Task RunGroupedAsync(HttpContext http, TreueDb db, TimeProvider clock, GroupCommit group, Keyed request)
    {
        var ct = http.RequestAborted;
        if (await FindAsync(db, request, ct) is { } existing)
        {
            await ReplayAsync(http, existing, request.Hash);
            return;
        }
        var pending = new PendingIdempotency(new IdempotencyRecord
        {
            ProgrammeId = request.Caller.ProgrammeId, Scope = request.Caller.KeyId, Key = request.Key, RequestHash = request.Hash,
            CreatedAt = clock.GetUtcNow().UtcDateTime,
        });
        http.Features.Set(pending);
        await next(http);
        if (pending.Recorded) return;
        if (!pending.Taken)
        {
            if (http.Response.StatusCode >= 500) return;
            var record = pending.Template;
            record.StatusCode = http.Response.StatusCode;
            record.ContentType = http.Response.ContentType;
            record.Location = http.Response.Headers.Location.ToString() is { Length: > 0 } location ? location : null;
            record.Body = StoredBody(http);
            var stored = await group.ApplyAsync(db, async (d, c) =>
            {
                d.IdempotencyRecords.Add(record);
                try
                {
                    await d.SaveChangesAsync(c);
                    return (true, true);
                }
                catch (DbUpdateException e) when (IsUniqueViolation(e))
                {
                    d.ChangeTracker.Clear();
                    return (false, false);
                }
            }, ct);
            if (stored) return;
        }
        // Another request with this key was stored first: this one answers as that one did.
        ((MemoryStream)http.Response.Body).SetLength(0);
        http.Response.Headers.Clear();
        db.ChangeTracker.Clear();
        var winner = await FindAsync(db, request, ct)
            ?? throw new InvalidOperationException("An idempotency key reported taken has no record.");
        await ReplayAsync(http, winner, request.Hash);
    }

    /// <summary>The stored record of the request's key, if any: one read by the primary key.</summary>
    private static async Task<IdempotencyRecord?> FindAsync(TreueDb db, Keyed request, CancellationToken ct)
    {
        await using var q = await DirectQuery.OpenAsync(db,
            "SELECT programme_id, request_hash, status_code, content_type, location, body, created_at FROM idempotency_records WHERE scope = @scope AND \"key\" = @key", ct);
        await using var r = await q.Id("@scope", request.Caller.KeyId).Text("@key", request.Key).ReadAsync(ct);
        if (!await r.ReadAsync(ct)) return null;
        return new IdempotencyRecord
        {
            Scope = request.Caller.KeyId, Key = request.Key, ProgrammeId = r.GetId(0), RequestHash = r.GetString(1), StatusCode = r.GetInt32(2),
            ContentType = r.GetTextOrNull(3), Location = r.GetTextOrNull(4), Body = (byte[])r.GetValue(5), CreatedAt = r.GetUtc(6),
        };
    }

    /// <summary>
    /// Looks the key up and claims it with a new record. Returns the record when the request is to run; no record
    /// when the response was written already (a replay, a 422 or a 409); <c>Conflict</c> when another request claimed
    /// the key at the same moment and the look-up is to be repeated.
    /// </summary>
    private static async Task<(IdempotencyRecord? Record, bool Conflict)> ClaimAsync(HttpContext http, TreueDb db, TimeProvider clock, Keyed request, int attempt)
    {
        var ct = http.RequestAborted;
        var existing = await FindAsync(db, request, ct);
        if (existing is not null)
        {
            await ReplayAsync(http, existing, request.Hash);
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

    private static async Task ReplayAsync(HttpContext http, IdempotencyRecord existing, string hash)
    {
        if (!string.Equals(existing.RequestHash, hash, StringComparison.Ordinal))
        {
            await Problems.Problem("idempotency_key_reused", "This Idempotency-Key was used with a different request body.", Header).ExecuteAsync(http);
            return;
        }
        http.Response.Headers[ReplayedHeader] = "true";
        if (existing.Location is not null) http.Response.Headers.Location = existing.Location;
        if (existing.IsResource)
        {
            // The record keeps the outcome and the resource, not the response: the resource is shown as it is now.
            var resource = await http.RequestServices.GetRequiredService<IdempotentResources>().FindAsync(http, existing.Location!);
            if (resource is null)
            {
                await Problems.Problem("resource_gone", "What this request made no longer exists.", Header, 410).ExecuteAsync(http);
                return;
            }
            await TypedResults.Json(resource, statusCode: existing.StatusCode).ExecuteAsync(http);
            return;
        }
        http.Response.StatusCode = existing.StatusCode;
        if (existing.ContentType is not null) http.Response.ContentType = existing.ContentType;
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

    internal static bool IsUniqueViolation(Exception e) => Storage.Purchases.StoreErrors.UniqueViolation(e) is not null;
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

/// <summary>
/// The idempotency key of a request whose act writes through group commit, waiting to be recorded. The act records it
/// with its own writes, as the outcome (status and location) and the resource it made; <see cref="Recorded"/> then tells
/// the middleware that nothing is left to store, and <see cref="Taken"/> that another request claimed the key first.
/// </summary>
public sealed class PendingIdempotency(IdempotencyRecord template)
{
    /// <summary>The key, its caller and the request's hash; status and location are filled in by <see cref="Claim"/>.</summary>
    public IdempotencyRecord Template { get; } = template;

    /// <summary>The act stored the key with its writes.</summary>
    public bool Recorded { get; set; }

    /// <summary>Another request with this key was stored first; the act wrote nothing.</summary>
    public bool Taken { get; set; }

    /// <summary>The row that records the key as having made the resource at <paramref name="location"/>.</summary>
    public IdempotencyRecord Claim(int statusCode, string location) => new()
    {
        ProgrammeId = Template.ProgrammeId, Scope = Template.Scope, Key = Template.Key, RequestHash = Template.RequestHash,
        CreatedAt = Template.CreatedAt, StatusCode = statusCode, Location = location, Body = [],
    };
}

/// <summary>
/// Shows the resources that idempotency records point to, for replays: each kind registers how to read its resource
/// from its location, as its GET endpoint shows it.
/// </summary>
public sealed class IdempotentResources
{
    private readonly List<(string Prefix, Func<HttpContext, Guid, Task<object?>> Find)> _kinds = [];

    /// <summary>Registers how to read the resources whose locations are <paramref name="prefix"/> followed by an id.</summary>
    public IdempotentResources Add(string prefix, Func<HttpContext, Guid, Task<object?>> find)
    {
        _kinds.Add((prefix, find));
        return this;
    }

    /// <summary>The resource at <paramref name="location"/>, or null when it is gone or of no registered kind.</summary>
    public Task<object?> FindAsync(HttpContext http, string location)
    {
        foreach (var (prefix, find) in _kinds)
        {
            if (location.StartsWith(prefix, StringComparison.Ordinal) && Guid.TryParse(location.AsSpan(prefix.Length), out var id))
                return find(http, id);
        }
        return Task.FromResult<object?>(null);
    }
}
