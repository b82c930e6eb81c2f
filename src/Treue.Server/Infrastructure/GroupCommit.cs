using System.Data.Common;
using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Treue.Storage;

namespace Treue.Server.Infrastructure;

/// <summary>Settings of group commit (section <c>Treue:GroupCommit</c>).</summary>
public sealed class GroupCommitOptions
{
    /// <summary>
    /// Run the hot write endpoints through group commit; false: each request is its own transaction. Unset (the default),
    /// it is on for SQLite, whose single writer it helps most, and off for PostgreSQL, which already shares WAL flushes
    /// between concurrent commits and is faster with requests running side by side (see docs/operations.md).
    /// </summary>
    public bool? Enabled { get; set; }

    /// <summary>Most requests one transaction holds.</summary>
    public int MaxBatch
    {
        get => _maxBatch;
        set => _maxBatch = Math.Clamp(value, 1, 1000);
    }

    private int _maxBatch = 64;
}

/// <summary>Marks an endpoint whose writes may share a transaction with other requests' (see <see cref="GroupCommit"/>).</summary>
public sealed class GroupCommitted
{
    public static readonly GroupCommitted Instance = new();
}

/// <summary>Thrown to every request of a group whose commit failed: none of them was acknowledged, all may be retried.</summary>
public sealed class GroupCommitFailedException(Exception inner)
    : Exception("The transaction shared with other requests failed to commit; nothing of this request was stored.", inner);

/// <summary>
/// Group commit: concurrent write requests share one database transaction and one durable sync.
/// <para>
/// Requests queue here; one writer takes everything that is waiting (up to <see cref="GroupCommitOptions.MaxBatch"/>),
/// begins one transaction on its own connection and runs the requests one after another, each inside a savepoint and
/// with a database context of its own that uses the shared connection and transaction. A request that fails, or that
/// says its writes are not to be kept, is rolled back to its savepoint and does not disturb its neighbours. Then the
/// transaction commits, once, and only then does each request learn its outcome, so nothing is acknowledged before it
/// is durable. On SQLite (one writer at a time) this turns a queue of transactions, each with its own sync and its own
/// wait for the write lock, into one; on PostgreSQL it saves a round trip and a WAL flush per request.
/// </para>
/// </summary>
public sealed class GroupCommit : IAsyncDisposable
{
    private readonly IServiceScopeFactory _scopes;
    private readonly ILogger<GroupCommit> _log;
    private readonly Channel<Job> _queue = Channel.CreateUnbounded<Job>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _writer;
    private readonly int _maxBatch;
    private IServiceScope? _connectionScope;
    private DbConnection? _connection;
    private long _batches, _requests;

    public GroupCommit(IServiceScopeFactory scopes, IOptions<GroupCommitOptions> options, ILogger<GroupCommit> log)
    {
        _scopes = scopes;
        _log = log;
        using (var scope = scopes.CreateScope())
            Enabled = options.Value.Enabled ?? scope.ServiceProvider.GetRequiredService<TreueDb>().IsSqlite;
        _maxBatch = options.Value.MaxBatch;
        _writer = Enabled ? Task.Run(WriteAsync) : Task.CompletedTask;
    }

    /// <summary>Whether requests are grouped at all.</summary>
    public bool Enabled { get; }

    /// <summary>Transactions committed so far, and the requests they held (so the mean group size is requests / batches).</summary>
    public (long Batches, long Requests) Counts => (Interlocked.Read(ref _batches), Interlocked.Read(ref _requests));

    /// <summary>
    /// Runs <paramref name="work"/> in the next shared transaction with a fresh scope of services whose
    /// <see cref="TreueDb"/> is bound to it. <paramref name="work"/> returns whether its writes are to be kept.
    /// The returned task completes after the commit that holds the work; it fails if the work threw or the commit failed.
    /// </summary>
    public Task RunAsync(Func<IServiceProvider, CancellationToken, Task<bool>> work, CancellationToken ct)
    {
        if (!Enabled) throw new InvalidOperationException("Group commit is disabled.");
        var job = new Job(work, ct);
        ObjectDisposedException.ThrowIf(!_queue.Writer.TryWrite(job), this);
        return job.Done.Task;
    }

    private async Task WriteAsync()
    {
        var reader = _queue.Reader;
        var batch = new List<Job>(_maxBatch);
        try
        {
            while (await reader.WaitToReadAsync(_stopping.Token))
            {
                while (batch.Count < _maxBatch && reader.TryRead(out var job))
                {
                    if (job.Cancel.IsCancellationRequested) job.Done.TrySetCanceled(job.Cancel);
                    else batch.Add(job);
                }
                if (batch.Count > 0) await RunBatchAsync(batch);
                batch.Clear();
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
        }
        while (reader.TryRead(out var left)) left.Done.TrySetCanceled();
        foreach (var job in batch) job.Done.TrySetCanceled();
    }

    private async Task RunBatchAsync(List<Job> batch)
    {
        var scopes = new List<AsyncServiceScope>(batch.Count);
        var failures = new Exception?[batch.Count];
        try
        {
            var connection = await ConnectionAsync();
            await using var tx = await connection.BeginTransactionAsync(_stopping.Token);
            for (var i = 0; i < batch.Count; i++)
            {
                var job = batch[i];
                var scope = _scopes.CreateAsyncScope();
                scopes.Add(scope);
                var savepoint = "g" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
                await tx.SaveAsync(savepoint, _stopping.Token);
                bool keep;
                try
                {
                    var db = scope.ServiceProvider.GetRequiredService<TreueDb>();
                    db.Database.SetDbConnection(connection, contextOwnsConnection: false);
                    await db.Database.UseTransactionAsync(tx, job.Cancel);
                    // Each request has its own savepoint already; EF's extra one around every SaveChanges would only cost statements.
                    db.Database.AutoSavepointsEnabled = false;
                    keep = await job.Work(scope.ServiceProvider, job.Cancel);
                }
                catch (Exception e)
                {
                    failures[i] = e;
                    keep = false;
                }
                if (keep) await tx.ReleaseAsync(savepoint, _stopping.Token);
                else await tx.RollbackAsync(savepoint, _stopping.Token);
            }
            await tx.CommitAsync(_stopping.Token);
            Interlocked.Increment(ref _batches);
            Interlocked.Add(ref _requests, batch.Count);
        }
        catch (Exception e)
        {
            // The shared transaction is lost: nothing of this group was stored and no request of it is acknowledged.
            _log.LogWarning(e, "A group of {Count} requests failed to commit", batch.Count);
            await DropConnectionAsync();
            var failed = new GroupCommitFailedException(e);
            for (var i = 0; i < batch.Count; i++) failures[i] ??= failed;
        }
        finally
        {
            foreach (var scope in scopes) await scope.DisposeAsync();
        }
        for (var i = 0; i < batch.Count; i++)
        {
            if (failures[i] is { } error) batch[i].Done.TrySetException(error);
            else batch[i].Done.TrySetResult();
        }
    }

    private async Task<DbConnection> ConnectionAsync()
    {
        if (_connection is { State: System.Data.ConnectionState.Open } open) return open;
        await DropConnectionAsync();
        _connectionScope = _scopes.CreateScope();
        var db = _connectionScope.ServiceProvider.GetRequiredService<TreueDb>();
        await db.Database.OpenConnectionAsync(_stopping.Token); // with the provider's connection settings (WAL, sync) applied
        _connection = db.Database.GetDbConnection();
        return _connection;
    }

    private async Task DropConnectionAsync()
    {
        if (_connection is not null)
        {
            try { await _connection.CloseAsync(); } catch (DbException) { }
        }
        _connectionScope?.Dispose();
        _connectionScope = null;
        _connection = null;
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _stopping.CancelAsync();
        try { await _writer; } catch (OperationCanceledException) { }
        await DropConnectionAsync();
        _stopping.Dispose();
    }

    private sealed record Job(Func<IServiceProvider, CancellationToken, Task<bool>> Work, CancellationToken Cancel)
    {
        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}

/// <summary>Marks endpoints for group commit.</summary>
public static class GroupCommitExtensions
{
    /// <summary>Lets the endpoint's writes share a transaction and a sync with concurrent requests.</summary>
    public static TBuilder WithGroupCommit<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(GroupCommitted.Instance);
}
