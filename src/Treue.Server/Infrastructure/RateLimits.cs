using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace Treue.Server.Infrastructure;

/// <summary>One token bucket: <see cref="PermitsPerSecond"/> requests a second on average, up to <see cref="Burst"/> at once.</summary>
public sealed class RateLimit
{
    public int PermitsPerSecond { get; set; }
    public int Burst { get; set; }
}

/// <summary>Settings under <c>Treue:RateLimits</c>. The counts are per server node.</summary>
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
/// Throttles failed coupon code attempts: every refused code takes a token from the buckets of its API key, client address
/// and member; a request presenting codes while one of them is empty is refused with 429 before any code is looked up.
/// </summary>
public sealed class CodeAttempts(IOptionsMonitor<RateLimitOptions> options) : IDisposable
{
    private readonly PartitionedRateLimiter<string> _limiter = PartitionedRateLimiter.Create<string, string>(partition =>
    {
        var limit = options.CurrentValue.FailedCodes;
        return RateLimitPartition.GetTokenBucketLimiter(partition, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = limit.Burst, TokensPerPeriod = limit.PermitsPerSecond, ReplenishmentPeriod = TimeSpan.FromSeconds(1), QueueLimit = 0, AutoReplenishment = true,
        });
    });

    private static IEnumerable<string> Partitions(HttpContext http, Guid? memberId)
    {
        if (http.User.FindFirst(ApiKeyAuthentication.KeyClaim)?.Value is { } key) yield return "key|" + key;
        yield return "ip|" + http.Connection.RemoteIpAddress;
        if (memberId is { } m) yield return "member|" + m;
    }

    /// <summary>A 429 problem when the caller has used up its failed attempts, or null.</summary>
    public ProblemHttpResultOrNull Check(HttpContext http, Guid? memberId)
    {
        if (!options.CurrentValue.Enabled) return new(null);
        foreach (var partition in Partitions(http, memberId))
        {
            using var lease = _limiter.AttemptAcquire(partition, 0);
            if (!lease.IsAcquired)
            {
                http.Response.Headers.RetryAfter = "1";
                return new(Problems.Problem("rate_limited", "Too many refused codes. Retry after 1 second.", "codes", 429));
            }
        }
        return new(null);
    }

    /// <summary>Counts a refused code against the caller.</summary>
    public void Failed(HttpContext http, Guid? memberId)
    {
        if (!options.CurrentValue.Enabled) return;
        foreach (var partition in Partitions(http, memberId)) _limiter.AttemptAcquire(partition, 1).Dispose();
    }

    public void Dispose() => _limiter.Dispose();
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
