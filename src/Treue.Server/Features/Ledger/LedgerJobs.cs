using Treue.Server.Infrastructure;
using Treue.Storage;

namespace Treue.Server.Features.Ledger;

/// <summary>Settings of the ledger's background jobs.</summary>
public sealed class LedgerJobOptions
{
    /// <summary>How often pending points are posted and expired points expired. Zero turns the jobs off.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromMinutes(5);
}

/// <summary>
/// Posts pending points whose return window has passed and expires points past their expiry, and settles referrals, on every node.
/// Both jobs lock the member and re-read the lot before acting, so nodes running them at once do each lot once.
/// </summary>
public sealed class LedgerJobs(IServiceScopeFactory scopes, TimeProvider clock, Microsoft.Extensions.Options.IOptions<LedgerJobOptions> options, ILogger<LedgerJobs> log)
    : PeriodicJob(scopes, clock, log)
{
    protected override TimeSpan Interval => options.Value.Interval;
    protected override string Name => "The ledger jobs";

    protected override Task RunAsync(IServiceProvider services, DateTime now, CancellationToken ct) =>
        RunOnceAsync(services, services.GetRequiredService<TimeProvider>(), ct);

    /// <summary>Runs both jobs for every programme until nothing is due, in a scope of its own.</summary>
    public static async Task<(int Posted, int Expired)> RunOnceAsync(IServiceScopeFactory scopes, TimeProvider clock, CancellationToken ct)
    {
        using var scope = scopes.CreateScope();
        return await RunOnceAsync(scope.ServiceProvider, clock, ct);
    }

    /// <summary>Runs both jobs for every programme until nothing is due.</summary>
    private static async Task<(int Posted, int Expired)> RunOnceAsync(IServiceProvider services, TimeProvider clock, CancellationToken ct)
    {
        var ledger = services.GetRequiredService<PointsLedger>();
        int posted = 0, expired = 0, n;
        // Go on while a batch did anything: a batch can do fewer lots than it found when another node did some of them.
        do { n = (await ledger.PostDueAsync(clock.GetUtcNow().UtcDateTime, 500, ct)).Lots; posted += n; } while (n > 0);
        do { n = (await ledger.ExpireDueAsync(clock.GetUtcNow().UtcDateTime, 500, ct)).Lots; expired += n; } while (n > 0);
        // Referrals whose points were just posted are rewarded (a coupon reward is issued then), and those out of time lapse.
        await Referrals.ReferralService.SettleAllAsync(services.GetRequiredService<TreueDb>(), clock.GetUtcNow().UtcDateTime, ct);
        return (posted, expired);
    }
}
