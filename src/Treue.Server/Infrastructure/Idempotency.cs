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
/// Honours the <c>Idempotency-Key</c> header on every state-changing request under <c>/api/v1</c>, after the
/// IETF draft: the first response (status and body) is stored in the same transaction as the request's effects,
/// so a retry with the same key and the same body gets that response again and changes nothing; the same key with
/// another body is refused with 422; while the first request is still running, a retry gets 409.
/// Keys are scoped to the API key that sent them.
/// </summary>
public sealed class IdempotencyMiddleware(RequestDelegate next)
{
    public const string Header = "Idempotency-Key";
    public const string ReplayedHeader = "Idempotent-Replayed";

    public async Task InvokeAsync(HttpContext http, TreueDb db, TimeProvider clock)
    {
        var method = http.Request.Method;
        if (!http.Request.Headers.TryGetValue(Header, out var keyValues) || HttpMethods.IsGet(method) || HttpMethods.IsHead(method)
            || http.User.Identity?.IsAuthenticated != true)
        {
            await next(http);
            return;
        }
        var key = keyValues.ToString();
        if (key.Length is 0 or > 255 || key.Any(char.IsControl))
        {
            await Problems.Problem("validation_failed", "must be 1 to 255 printable characters", Header, 400).ExecuteAsync(http);
            return;
        }

        var caller = Caller.From(http.User);
        http.Request.EnableBuffering();
        var body = new MemoryStream();
        await http.Request.Body.CopyToAsync(body, http.RequestAborted);
        http.Request.Body.Position = 0;
        var hash = RequestHash(method, http.Request.Path + http.Request.QueryString, body.ToArray());

        for (var attempt = 0; ; attempt++)
        {
            await using var tx = await db.Database.BeginTransactionAsync(http.RequestAborted);
            var existing = await db.IdempotencyRecords.AsNoTracking()
                .SingleOrDefaultAsync(r => r.Scope == caller.KeyId && r.Key == key, http.RequestAborted);
            if (existing is not null)
            {
                await tx.RollbackAsync(http.RequestAborted);
                await Replay(http, existing, hash);
                return;
            }

            var record = new IdempotencyRecord
            {
                ProgrammeId = caller.ProgrammeId, Scope = caller.KeyId, Key = key, RequestHash = hash,
                CreatedAt = clock.GetUtcNow().UtcDateTime,
            };
            db.IdempotencyRecords.Add(record);
            try
            {
                if (!db.IsSqlite)
                    await db.Database.ExecuteSqlRawAsync("SET LOCAL lock_timeout = '200ms'", http.RequestAborted);
                await db.SaveChangesAsync(http.RequestAborted);
                if (!db.IsSqlite)
                    await db.Database.ExecuteSqlRawAsync("SET LOCAL lock_timeout TO DEFAULT", http.RequestAborted);
            }
            catch (Exception e) when (IsLockTimeout(e))
            {
                db.ChangeTracker.Clear();
                await Problems.Problem("idempotency_key_in_use", "A request with this Idempotency-Key is still being processed; retry later.", Header).ExecuteAsync(http);
                return;
            }
            catch (DbUpdateException e) when (IsUniqueViolation(e) && attempt < 3)
            {
                // Another request with this key committed between our look-up and our insert: replay it.
                db.ChangeTracker.Clear();
                continue;
            }

            var original = http.Response.Body;
            var captured = new MemoryStream();
            http.Response.Body = captured;
            try
            {
                await next(http);
                if (http.Response.StatusCode < 500)
                {
                    record.StatusCode = http.Response.StatusCode;
                    record.ContentType = http.Response.ContentType;
                    record.Location = http.Response.Headers.Location.ToString() is { Length: > 0 } location ? location : null;
                    record.Body = captured.ToArray();
                    db.IdempotencyRecords.Update(record);
                    await db.SaveChangesAsync(http.RequestAborted);
                    await tx.CommitAsync(http.RequestAborted);
                }
            }
            finally
            {
                http.Response.Body = original;
                db.ChangeTracker.Clear();
            }
            captured.Position = 0;
            await captured.CopyToAsync(original, http.RequestAborted);
            return;
        }
    }

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

    internal static bool IsUniqueViolation(DbUpdateException e) => e.InnerException switch
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
