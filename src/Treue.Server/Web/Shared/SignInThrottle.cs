using System.Collections.Concurrent;

namespace Treue.Server.Web.Shared;

/// <summary>
/// Slows down password guessing: after <see cref="MaxFailures"/> failed sign-ins for one account name (whether the
/// account exists or not) or <see cref="MaxFailuresPerAddress"/> from one network address within
/// <see cref="Window"/>, further attempts are refused until the window has passed. The counts live in the
/// memory of each server node, so with several nodes an attacker gets that many tries per node.
/// </summary>
public sealed class SignInThrottle(TimeProvider clock)
{
    public const int MaxFailures = 5;
    public const int MaxFailuresPerAddress = 30;
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(15);

    private readonly ConcurrentDictionary<string, Failures> _failures = new();

    private sealed record Failures(int Count, DateTime Since);

    /// <summary>True when another attempt for this account from this address may be made now.</summary>
    public bool IsAllowed(string scope, string account, string? address)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        return Below(Key(scope, account), MaxFailures, now) && Below("ip|" + address, MaxFailuresPerAddress, now);
    }

    /// <summary>How long until another attempt for this account from this address may be made.</summary>
    public TimeSpan RetryAfter(string scope, string account, string? address)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var wait = TimeSpan.Zero;
        foreach (var (key, max) in new[] { (Key(scope, account), MaxFailures), ("ip|" + address, MaxFailuresPerAddress) })
        {
            if (!Below(key, max, now) && _failures.TryGetValue(key, out var f) && f.Since + Window - now > wait) wait = f.Since + Window - now;
        }
        return wait;
    }

    /// <summary>Answers a refused sign-in with 429 and, per RFC 9110, the seconds to wait in <c>Retry-After</c>.</summary>
    public void Refuse(HttpContext http, string scope, string account)
    {
        var wait = RetryAfter(scope, account, http.Connection.RemoteIpAddress?.ToString());
        http.Response.StatusCode = StatusCodes.Status429TooManyRequests;
        http.Response.Headers.RetryAfter = Math.Max(1, (long)Math.Ceiling(wait.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Counts a failed attempt.</summary>
    public void Failed(string scope, string account, string? address)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        Count(Key(scope, account), now);
        Count("ip|" + address, now);
        if (_failures.Count > 100_000) Prune(now);
    }

    /// <summary>Forgets the failures of an account after a successful sign-in.</summary>
    public void Succeeded(string scope, string account) => _failures.TryRemove(Key(scope, account), out _);

    private static string Key(string scope, string account) => scope + "|" + account.Trim().ToLowerInvariant();

    private bool Below(string key, int max, DateTime now) =>
        !_failures.TryGetValue(key, out var f) || now - f.Since >= Window || f.Count < max;

    private void Count(string key, DateTime now) =>
        _failures.AddOrUpdate(key, _ => new Failures(1, now), (_, f) => now - f.Since >= Window ? new Failures(1, now) : f with { Count = f.Count + 1 });

    private void Prune(DateTime now)
    {
        foreach (var (key, f) in _failures)
            if (now - f.Since >= Window) _failures.TryRemove(key, out _);
    }
}
