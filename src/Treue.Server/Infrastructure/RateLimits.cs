using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Treue.Storage;

namespace Treue.Server.Infrastructure;

/// <summary>One token bucket: <see cref="PermitsPerSecond"/> requests a second on average, up to <see cref="Burst"/> at once.</summary>
public sealed class RateLimit
{
    public int PermitsPerSecond { get; set; }
    public int Burst { get; set; }
}

/// <summary>Settings under <c>Treue:RateLimits</c>. The request counts are per server node; refused codes are counted in the database, for all nodes.</summary>
public sealed class RateLimitOptions
{
    /// <summary>Whether API requests are limited at all.</summary>
    public bool Enabled { get; set; } = true;
    /// <summary>Every API request, per API key. High enough for a busy chain's tills sharing one key.</summary>
    public RateLimit PerKey { get; set; } = new() { PermitsPerSecond = 20_000, Burst = 40_000 };
    /// <summary>API requests without a valid key, per client address.</summary>
    public RateLimit Anonymous { get; set; } = new() { PermitsPerSecond = 20, Burst = 100 };
    /// <summary>Analytics reports and recommendations, per API key, on top of <see cref="PerKey"/>.</summary>
    public RateLimit Expensive { get; set; } = new() { PermitsPerSecond = 2, Burst = 60 };
    /// <summary>Refused coupon codes, per API key, per client address and per member: guessing codes is slow.</summary>
    public RateLimit FailedCodes { get; set; } = new() { PermitsPerSecond = 2, Burst = 100 };
}

/// <summary>
/// Throttles failed coupon code attempts across every server node: each refused code counts against its API key, client
/// address and member (by id or card number) in the database's <c>code_attempts</c> table, in windows of
/// <see cref="RateLimit.Burst"/> / <see cref="RateLimit.PermitsPerSecond"/> seconds. A request presenting codes while one
/// of its callers has <see cref="RateLimit.Burst"/> refusals in the current and the previous window together is refused
/// with 429 before any code is looked up. Counting two windows keeps a guesser from starting afresh at a window's edge.
/// The callers are stored as hashes.
/// </summary>
public sealed class CodeAttempts(IOptionsMonitor<RateLimitOptions> options, TimeProvider clock)
{
    private static IEnumerable<string> Partitions(HttpContext http, Guid? memberId, string? cardNumber)
    {
        if (http.User.FindFirst(ApiKeyAuthentication.KeyClaim)?.Value is { } key) yield return "key|" + key;
        yield return "ip|" + http.Connection.RemoteIpAddress;
        if (memberId is { } m) yield return "member|" + m;
        if (cardNumber is { Length: > 0 and <= 64 } card) yield return "card|" + card.Trim().ToUpperInvariant();
    }

    private static byte[] Hash(string partition) => SHA256.HashData(Encoding.UTF8.GetBytes(partition))[..16];

    /// <summary>The length of a counting window.</summary>
    private static TimeSpan Window(RateLimit limit) => TimeSpan.FromSeconds(Math.Max(1, (int)Math.Ceiling(limit.Burst / (double)limit.PermitsPerSecond)));

    private DateTime WindowStart(TimeSpan window)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        return new DateTime(now.Ticks - now.Ticks % window.Ticks, DateTimeKind.Utc);
    }

    /// <summary>A 429 problem when one of the caller's partitions has used up its failed attempts, or none.</summary>
    public async Task<ProblemHttpResultOrNull> CheckAsync(HttpContext http, TreueDb db, Guid? memberId, string? cardNumber, CancellationToken ct)
    {
        var o = options.CurrentValue;
        if (!o.Enabled) return new(null);
        var window = Window(o.FailedCodes);
        var current = WindowStart(window);
        var previous = current - window;
        // Always four partitions, so the query is the same for every caller.
        var keys = Partitions(http, memberId, cardNumber).Select(Hash).ToList();
        while (keys.Count < 4) keys.Add(keys[0]);
        var (k0, k1, k2, k3) = (keys[0], keys[1], keys[2], keys[3]);
        var counts = await db.CodeAttempts.AsNoTracking()
            .Where(a => (a.Partition == k0 || a.Partition == k1 || a.Partition == k2 || a.Partition == k3) && (a.WindowStart == current || a.WindowStart == previous))
            .Select(a => new { a.Partition, a.Failures }).ToListAsync(ct);
        var most = counts.GroupBy(c => Convert.ToHexString(c.Partition)).Select(g => g.Sum(c => c.Failures)).DefaultIfEmpty(0).Max();
        if (most < o.FailedCodes.Burst) return new(null);
        var wait = Math.Max(1, (int)Math.Ceiling((current + window - clock.GetUtcNow().UtcDateTime).TotalSeconds));
        http.Response.Headers.RetryAfter = wait.ToString(CultureInfo.InvariantCulture);
        return new(Problems.Problem("rate_limited", $"Too many refused codes. Retry after {wait} seconds.", "codes", 429));
    }

    /// <summary>Counts a refused code against each of the caller's partitions, for every node to see.</summary>
    public async Task FailedAsync(HttpContext http, TreueDb db, Guid? memberId, string? cardNumber, CancellationToken ct)
    {
        var o = options.CurrentValue;
        if (!o.Enabled) return;
        var window = Window(o.FailedCodes);
        var current = WindowStart(window);
        var stale = current - window;
        foreach (var partition in Partitions(http, memberId, cardNumber).Select(Hash).DistinctBy(Convert.ToHexString))
        {
            // One statement on both databases: the first failure of a window inserts its row, later ones add to it atomically.
            if (db.IsSqlite)
            {
                var at = TreueDb.StoredTime(current);
                await db.Database.ExecuteSqlAsync($"""
                    INSERT INTO "code_attempts" ("partition", "window_start", "failures") VALUES ({partition}, {at}, 1)
                    ON CONFLICT ("partition", "window_start") DO UPDATE SET "failures" = "code_attempts"."failures" + 1
                    """, ct);
            }
            else
            {
                await db.Database.ExecuteSqlAsync($"""
                    INSERT INTO "code_attempts" ("partition", "window_start", "failures") VALUES ({partition}, {current}, 1)
                    ON CONFLICT ("partition", "window_start") DO UPDATE SET "failures" = "code_attempts"."failures" + 1
                    """, ct);
            }
            await db.CodeAttempts.Where(a => a.Partition == partition && a.WindowStart < stale).ExecuteDeleteAsync(ct);
        }
    }
}

/// <summary>A problem or none (a record so that a caller can pattern-match it).</summary>
public readonly record struct ProblemHttpResultOrNull(Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult? Problem);

/// <summary>
/// Limits on load with ASP.NET Core's rate limiter: API requests are counted per API key (per client address
/// without one), the costly analytics per key once more with a far lower limit. A refusal is a 429 problem with
/// <c>Retry-After</c>. The web pages and health checks are not limited here.
/// </summary>
public static class RateLimits
{
    /// <summary>The policy of costly endpoints.</summary>
    public const string Expensive = "expensive";

    internal static void AddRateLimits(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<RateLimitOptions>().Bind(builder.Configuration.GetSection("Treue:RateLimits"))
            .Validate(o => new[] { o.PerKey, o.Anonymous, o.Expensive, o.FailedCodes }.All(l => l.PermitsPerSecond >= 1 && l.Burst >= 1),
                "Treue:RateLimits: PermitsPerSecond and Burst must be at least 1.")
            .ValidateOnStart();
        builder.Services.AddSingleton<CodeAttempts>();
        builder.Services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.OnRejected = RejectAsync;
            o.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(http =>
            {
                var limits = Limits(http);
                if (!limits.Enabled || !http.Request.Path.StartsWithSegments("/api")) return RateLimitPartition.GetNoLimiter("");
                var key = KeyOf(http);
                return key is not null ? Bucket("key|" + key, limits.PerKey) : Bucket("ip|" + http.Connection.RemoteIpAddress, limits.Anonymous);
            });
            o.AddPolicy(Expensive, http => Limits(http) is { Enabled: true } limits
                ? Bucket("key|" + (KeyOf(http) ?? "ip|" + http.Connection.RemoteIpAddress), limits.Expensive)
                : RateLimitPartition.GetNoLimiter(""));
        });
    }

    // A bucket, once made for a partition, keeps the limits it was made with until it has been idle for a while.
    private static RateLimitOptions Limits(HttpContext http) => http.RequestServices.GetRequiredService<IOptionsMonitor<RateLimitOptions>>().CurrentValue;

    private static string? KeyOf(HttpContext http) => http.User.FindFirst(ApiKeyAuthentication.KeyClaim)?.Value;

    private static RateLimitPartition<string> Bucket(string partition, RateLimit limit) => RateLimitPartition.GetTokenBucketLimiter(partition, _ => new TokenBucketRateLimiterOptions
    {
        TokenLimit = limit.Burst,
        TokensPerPeriod = limit.PermitsPerSecond,
        ReplenishmentPeriod = TimeSpan.FromSeconds(1),
        QueueLimit = 0,
        AutoReplenishment = true,
    });

    private static async ValueTask RejectAsync(OnRejectedContext context, CancellationToken ct)
    {
        var http = context.HttpContext;
        var wait = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : TimeSpan.FromSeconds(1);
        var seconds = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));
        http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        await Problems.Problem("rate_limited", $"Too many requests for this API key. Retry after {seconds} seconds.", status: 429).ExecuteAsync(http);
    }
}
