using Microsoft.Extensions.Caching.Memory;

namespace Treue.Server.Features.Analytics;

/// <summary>
/// What a programme's data looked like when a result was computed: its configuration version and how many purchases,
/// returns, members and consent records it holds, and when its privacy settings changed. All are cheap to read, and every
/// purchase, return, enrolment or consent changes one of them.
/// </summary>
public readonly record struct DataVersion(int ConfigVersion, int Purchases, int Returns, int Members, int Consents = 0, DateTime? PrivacyChanged = null);

/// <summary>
/// Keeps costly analytics results per programme and data version, so that repeated and concurrent requests for
/// unchanged data share one computation instead of each mining every basket again. Concurrent callers of one key wait
/// for the same computation; a new data version replaces the old entry. At most <see cref="MaxEntries"/> results are
/// kept, the least recently used leave first.
/// </summary>
public sealed class AnalyticsCache(IServiceScopeFactory scopes, IHostApplicationLifetime lifetime) : IDisposable
{
    public const int MaxEntries = 256;
    public static readonly TimeSpan Idle = TimeSpan.FromHours(1);

    private readonly MemoryCache _cache = new(new MemoryCacheOptions { SizeLimit = MaxEntries });
    private readonly Lock _gate = new();
    private long _computations;

    private sealed record Entry<T>(DataVersion Version, Task<T> Value);

    /// <summary>How many results were computed since the start (not taken from the cache).</summary>
    public long Computations => Interlocked.Read(ref _computations);

    /// <summary>
    /// The cached result for <paramref name="key"/> at <paramref name="version"/>, or the result of
    /// <paramref name="compute"/>, which runs in a scope of its own so that it outlives a caller who gives up.
    /// </summary>
    public Task<T> GetAsync<T>(object key, DataVersion version, Func<IServiceProvider, CancellationToken, Task<T>> compute, CancellationToken ct)
    {
        Task<T> value;
        lock (_gate)
        {
            if (!_cache.TryGetValue(key, out Entry<T>? entry) || entry!.Version != version || entry.Value.IsFaulted || entry.Value.IsCanceled)
            {
                entry = new Entry<T>(version, ComputeAsync(compute));
                _cache.Set(key, entry, new MemoryCacheEntryOptions { Size = 1, SlidingExpiration = Idle });
            }
            value = entry.Value;
        }
        return value.WaitAsync(ct);
    }

    private async Task<T> ComputeAsync<T>(Func<IServiceProvider, CancellationToken, Task<T>> compute)
    {
        await Task.Yield(); // the work runs outside the lock
        Interlocked.Increment(ref _computations);
        await using var scope = scopes.CreateAsyncScope();
        return await compute(scope.ServiceProvider, lifetime.ApplicationStopping);
    }

    public void Dispose() => _cache.Dispose();
}
