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
    /// Run the hot write endpoints through group commit (the default); false: each request is its own transaction.
    /// See docs/operations.md and docs/benchmarks.md.
    /// </summary>
    public bool? Enabled { get; set; }

    /// <summary>
    /// Writers per server, each with its own connection and its own shared transaction. SQLite has one writer whatever is
    /// configured (it allows one write transaction at a time); unset, PostgreSQL gets one per processor core, two to eight.
    /// </summary>
    public int? Writers
    {
        get => _writers;
        set => _writers = value is null ? null : Math.Clamp(value.Value, 1, 32);
    }

    private int? _writers;

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
/// begins one transaction on its own connection and runs the requests one after another, each inside a savepoint, with
/// one database context bound to the shared connection and transaction. A request that fails, or that
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
    private readonly Channel<Job> _queue = Channel.CreateUnbounded<Job>(new UnboundedChannelOptions { SingleReader = false });
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task[] _writers;
    private readonly int _maxBatch;
    private long _batches, _requests, _retries;

    /// <summary>How often a request that lost a lock conflict with another writer's transaction is run again, in a later transaction.</summary>
    public const int MaxRetries = 3;

    public GroupCommit(IServiceScopeFactory scopes, IOptions<GroupCommitOptions> options, ILogger<GroupCommit> log)
    {
        _scopes = scopes;
        _log = log;
        bool sqlite;
        using (var scope = scopes.CreateScope())
            sqlite = scope.ServiceProvider.GetRequiredService<TreueDb>().IsSqlite;
        Enabled = options.Value.Enabled ?? true;
        Writers = sqlite ? 1 : options.Value.Writers ?? Math.Clamp(Environment.ProcessorCount, 2, 8);
        _maxBatch = options.Value.MaxBatch;
        // The writers outlive the request that happens to create this service; they must not carry its context (its
        // trace id above all) into every request they run. Each job runs in its own request's context instead.
        using (ExecutionContext.SuppressFlow())
            _writers = Enabled ? Enumerable.Range(0, Writers).Select(_ => Task.Run(WriteAsync)).ToArray() : [];
    }

    /// <summary>Whether requests are grouped at all.</summary>
    public bool Enabled { get; }

    /// <summary>How many writers run shared transactions side by side.</summary>
    public int Writers { get; }

    /// <summary>Requests run again after losing a lock conflict (a deadlock between two writers' transactions).</summary>
    public long Retries => Interlocked.Read(ref _retries);

    /// <summary>Transactions committed so far, and the requests they held (so the mean group size is requests / batches).</summary>
    public (long Batches, long Requests) Counts => (Interlocked.Read(ref _batches), Interlocked.Read(ref _requests));

    /// <summary>
    /// Runs <paramref name="work"/> in the next shared transaction with a fresh scope of services whose
    /// <see cref="TreueDb"/> is bound to it. <paramref name="work"/> returns whether its writes are to be kept.
    /// The returned task completes after the commit that holds the work; it fails if the work threw or the commit failed.
    /// </summary>
    public Task RunAsync(Func<IServiceProvider, CancellationToken, Task<bool>> work, CancellationToken ct) => RunAsync(work, null, ct);

    /// <summary>
    /// Runs <paramref name="work"/> like <see cref="RunAsync(Func{IServiceProvider, CancellationToken, Task{bool}}, CancellationToken)"/>.
    /// With more than one writer (PostgreSQL), two shared transactions can wait for each other's row locks. The database
    /// then fails one statement; that request is rolled back to its savepoint, its neighbours carry on, and it runs again
    /// in a later transaction (at most <see cref="MaxRetries"/> times), after <paramref name="beforeRetry"/> has undone
    /// whatever it wrote into its response.
    /// </summary>
    public Task RunAsync(Func<IServiceProvider, CancellationToken, Task<bool>> work, Action? beforeRetry, CancellationToken ct)
    {
        if (!Enabled) throw new InvalidOperationException("Group commit is disabled.");
        var job = new Job(work, beforeRetry, ExecutionContext.Capture(), ct);
        ObjectDisposedException.ThrowIf(!_queue.Writer.TryWrite(job), this);
        return job.Done.Task;
    }

    private async Task WriteAsync()
    {
        var reader = _queue.Reader;
        var batch = new List<Job>(_maxBatch);
        var writer = new Writer(this);
        try
        {
            while (await reader.WaitToReadAsync(_stopping.Token))
            {
                while (batch.Count < _maxBatch && reader.TryRead(out var job))
                {
                    if (job.Cancel.IsCancellationRequested) job.Done.TrySetCanceled(job.Cancel);
                    else batch.Add(job);
                }
                if (batch.Count > 0) await RunBatchAsync(writer, batch);
                batch.Clear();
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
        }
        finally
        {
            await writer.DropConnectionAsync();
        }
        while (reader.TryRead(out var left)) left.Done.TrySetCanceled();
        foreach (var job in batch) job.Done.TrySetCanceled();
    }

    private async Task RunBatchAsync(Writer writer, List<Job> batch)
    {
        // One scope of services for the whole group: the requests run one after another on the same connection and
        // transaction, so they can share a database context (creating one per request cost a tenth of the writer's
        // time). Its change tracker is emptied before each request, so nothing one request loaded is seen by the next.
        var scope = _scopes.CreateAsyncScope();
        var failures = new Exception?[batch.Count];
        var retry = new bool[batch.Count];
        try
        {
            var connection = await writer.ConnectionAsync();
            await using var tx = await connection.BeginTransactionAsync(_stopping.Token);
            var db = scope.ServiceProvider.GetRequiredService<TreueDb>();
            db.Database.SetDbConnection(connection, contextOwnsConnection: false);
            await db.Database.UseTransactionAsync(tx, _stopping.Token);
            // Each request has its own savepoint already; EF's extra one around every SaveChanges would only cost statements.
            db.Database.AutoSavepointsEnabled = false;
            for (var i = 0; i < batch.Count; i++)
            {
                var job = batch[i];
                var savepoint = "g" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
                await tx.SaveAsync(savepoint, _stopping.Token);
                bool keep;
                try
                {
                    db.ChangeTracker.Clear();
                    keep = await job.RunAsync(scope.ServiceProvider);
                }
                catch (Exception e)
                {
                    if (IsLockConflict(e) && job.Attempts < MaxRetries) retry[i] = true;
                    else failures[i] = e;
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
            await writer.DropConnectionAsync();
            var failed = new GroupCommitFailedException(e);
            for (var i = 0; i < batch.Count; i++)
            {
                retry[i] = false;
                failures[i] ??= failed;
            }
        }
        finally
        {
            await scope.DisposeAsync();
        }
        for (var i = 0; i < batch.Count; i++)
        {
            var job = batch[i];
            if (retry[i])
            {
                // Nothing of it was kept; it runs again in a later transaction, by whichever writer is free.
                job.Attempts++;
                Interlocked.Increment(ref _retries);
                job.BeforeRetry?.Invoke();
                if (_queue.Writer.TryWrite(job)) continue;
                job.Done.TrySetCanceled();
            }
            else if (failures[i] is { } error) job.Done.TrySetException(error);
            else job.Done.TrySetResult();
        }
    }

    /// <summary>A deadlock or lock timeout between two writers' transactions (PostgreSQL): worth running again.</summary>
    private static bool IsLockConflict(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
        {
            if (x is Npgsql.PostgresException pg)
                return pg.SqlState is Npgsql.PostgresErrorCodes.DeadlockDetected or Npgsql.PostgresErrorCodes.SerializationFailure;
        }
        return false;
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _stopping.CancelAsync();
        try { await Task.WhenAll(_writers); } catch (OperationCanceledException) { }
        _stopping.Dispose();
    }

    /// <summary>One writer's connection, opened when first needed and again after a failure.</summary>
    private sealed class Writer(GroupCommit owner)
    {
        private IServiceScope? _scope;
        private DbConnection? _connection;

        public async Task<DbConnection> ConnectionAsync()
        {
            if (_connection is { State: System.Data.ConnectionState.Open } open) return open;
            await DropConnectionAsync();
            _scope = owner._scopes.CreateScope();
            var db = _scope.ServiceProvider.GetRequiredService<TreueDb>();
            await db.Database.OpenConnectionAsync(owner._stopping.Token); // with the provider's connection settings (WAL, sync) applied
            _connection = db.Database.GetDbConnection();
            if (db.IsSqlite)
            {
                // The writer touches the indexes of every table a purchase writes; a larger page cache than SQLite's 2 MB
                // default keeps them in memory. It is this one connection's, so memory grows by at most this much.
                await using var pragma = _connection.CreateCommand();
                pragma.CommandText = "PRAGMA cache_size = -32768";
                await pragma.ExecuteNonQueryAsync(owner._stopping.Token);
                SqliteInserts.Register(_connection);
            }
            return _connection;
        }

        public async Task DropConnectionAsync()
        {
            if (_connection is not null)
            {
                try { await _connection.CloseAsync(); } catch (DbException) { }
            }
            _scope?.Dispose();
            _scope = null;
            _connection = null;
        }
    }

    private sealed record Job(Func<IServiceProvider, CancellationToken, Task<bool>> Work, Action? BeforeRetry, ExecutionContext? Context, CancellationToken Cancel)
    {
        /// <summary>
        /// Runs the work in the context of the request that queued it, so that its activity (the trace id of its
        /// problems) and its logging scope are its own; the writer's context is back when this returns.
        /// </summary>
        public Task<bool> RunAsync(IServiceProvider services)
        {
            if (Context is null) return Work(services, Cancel);
            Task<bool>? task = null;
            ExecutionContext.Run(Context, _ => task = Work(services, Cancel), null);
            return task!;
        }

        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public int Attempts { get; set; }
    }
}

/// <summary>Marks endpoints for group commit.</summary>
public static class GroupCommitExtensions
{
    /// <summary>Lets the endpoint's writes share a transaction and a sync with concurrent requests.</summary>
    public static TBuilder WithGroupCommit<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(GroupCommitted.Instance);
}
