namespace Treue.Server.Infrastructure;

/// <summary>
/// A job every server node runs at an interval on the injected clock, each run in its own service scope. A run that
/// fails is logged, and the next one comes at the next tick; an interval of zero or less turns the job off.
/// </summary>
public abstract class PeriodicJob(IServiceScopeFactory scopes, TimeProvider clock, ILogger log) : BackgroundService
{
    /// <summary>How often the job runs.</summary>
    protected abstract TimeSpan Interval { get; }

    /// <summary>The job's name in the log.</summary>
    protected abstract string Name { get; }

    /// <summary>Whether the first run comes at start (true) or after the first interval.</summary>
    protected virtual bool RunAtStart => true;

    /// <summary>One run, with the scope's services and the clock's time.</summary>
    protected abstract Task RunAsync(IServiceProvider services, DateTime now, CancellationToken ct);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = Interval;
        if (interval <= TimeSpan.Zero) return;
        using var timer = new PeriodicTimer(interval, clock);
        if (!RunAtStart && !await timer.WaitForNextTickAsync(stoppingToken)) return;
        do
        {
            try
            {
                using var scope = scopes.CreateScope();
                await RunAsync(scope.ServiceProvider, clock.GetUtcNow().UtcDateTime, stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                log.LogError(e, "{Job} failed; it runs again in {Interval}", Name, interval);
            }
        } while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
