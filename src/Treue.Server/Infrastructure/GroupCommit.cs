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

/// <summary>
/// Marks an endpoint whose act hands its decided writes to <see cref="GroupCommit"/>: the idempotency middleware then
/// lets the act record the request's key together with its writes instead of wrapping the request in a transaction.
/// </summary>
public sealed class GroupCommitted
{
    public static readonly GroupCommitted Instance = new();
}

/// <summary>Thrown to every write of a group whose commit failed: none of them was acknowledged, all may be retried.</summary>
public sealed class GroupCommitFailedException(Exception inner)
    : Exception("The transaction shared with other requests failed to commit; nothing of this request was stored.", inner);

/// <summary>
/// Group commit: the decided writes of concurrent requests share one database transaction and one durable sync.
/// <para>
/// A request loads and decides on its own connection, outside any lock; what it hands over here is a write that is
/// already decided (rows and guarded changes, see <c>IPurchaseStore</c>). Writes queue; one writer takes everything that
/// is waiting (up to <see cref="GroupCommitOptions.MaxBatch"/>), begins one transaction on its own connection and applies
/// them one after another, each inside a savepoint. A write whose guard fails, or that throws, is rolled back to its
/// savepoint and does not disturb its neighbours. Then the transaction commits, once, and only then does each request
/// learn its outcome, so nothing is acknowledged before it is durable. No request runs here: no model binding, no rule,
/// no JSON, only the statements of the writes, so the write lock is held for as little as possible.
/// </para>
/// <para>
/// On SQLite (one writer at a time) this turns a queue of transactions, each with its own sync and its own wait for the
/// write lock, into one; on PostgreSQL it saves a round trip and a WAL flush per request. The writers run as a hosted
/// service: they start with the host and stop with it. Where no host runs them (a command of the CLI), writes run in the
/// caller's own transaction instead.
/// </para>
/// </summary>
public sealed class GroupCommit : IHostedService, IAsyncDisposable
{
    private readonly IServiceScopeFactory _scopes;
    private readonly ILogger<GroupCommit> _log;
    private readonly Channel<Job> _queue = Channel.CreateUnbounded<Job>(new UnboundedChannelOptions { SingleReader = false });
    private readonly CancellationTokenSource _stopping = new();
    private Task[] _writers = [];
    private readonly int _maxBatch;
    private long _batches, _requests, _retries;
    private volatile bool _running;
    private Task? _stop;
    private int _disposed;

    /// <summary>How often a write that lost a lock conflict with another writer's transaction is run again, in a later transaction.</summary>
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
    }

    /// <summary>Whether writes are grouped at all.</summary>
    public bool Enabled { get; }

    /// <summary>Whether the writers run (the host has started them), so that a write handed over is applied.</summary>
    public bool Running => _running;

    /// <summary>How many writers run shared transactions side by side.</summary>
    public int Writers { get; }

    /// <summary>Writes run again after losing a lock conflict (a deadlock between two writers' transactions).</summary>
    public long Retries => Interlocked.Read(ref _retries);

    /// <summary>Transactions committed so far, and the writes they held (so the mean group size is requests / batches).</summary>
    public (long Batches, long Requests) Counts => (Interlocked.Read(ref _batches), Interlocked.Read(ref _requests));

    /// <summary>Starts the writers.</summary>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (!Enabled || _running) return Task.CompletedTask;
        // The writers outlive the request or start-up that happens to be running; they carry no one's context.
        using (ExecutionContext.SuppressFlow())
            _writers = Enumerable.Range(0, Writers).Select(_ => Task.Run(WriteAsync)).ToArray();
        _running = true;
        return Task.CompletedTask;
    }

    /// <summary>Stops the writers; writes still queued are cancelled (none of them was acknowledged).</summary>
    /// <remarks>The host stops it and the container disposes it, possibly at the same time: both wait for the one stop.</remarks>
    public Task StopAsync(CancellationToken cancellationToken)
    {
        lock (_queue) return _stop ??= StopWritersAsync();
    }

    private async Task StopWritersAsync()
    {
        _running = false;
        _queue.Writer.TryComplete();
        await _stopping.CancelAsync();
        try { await Task.WhenAll(_writers); } catch (OperationCanceledException) { }
    }

    /// <summary>
    /// Applies a decided write: in the next shared transaction when the writers run and the caller is not inside a
    /// transaction of its own; otherwise in a unit of work (<see cref="Work"/>) on <paramref name="db"/>. The write
    /// returns whether it is to be kept; the task completes after the commit that holds it, with the write's result.
    /// </summary>
    public async Task<T> ApplyAsync<T>(TreueDb db, Func<TreueDb, CancellationToken, Task<(bool Keep, T Result)>> write, CancellationToken ct)
    {
        if (_running && db.Database.CurrentTransaction is null) return await WriteAsync(write, ct);
        await using var work = await Work.BeginAsync(db, ct);
        var (keep, result) = await write(db, ct);
        if (keep) await work.CommitAsync(ct);
        return result;
    }

    /// <summary>
    /// Runs <paramref name="write"/> in the next shared transaction, with a database context bound to it. With more than
    /// one writer (PostgreSQL), two shared transactions can wait for each other's row locks; the database then fails one
    /// statement, that write is rolled back to its savepoint, its neighbours carry on, and it runs again in a later
    /// transaction (at most <see cref="MaxRetries"/> times). The write must therefore only write: it may run more than once.
    /// </summary>
    public async Task<T> WriteAsync<T>(Func<TreueDb, CancellationToken, Task<(bool Keep, T Result)>> write, CancellationToken ct)
    {
        if (!_running) throw new InvalidOperationException("Group commit is not running.");
        T result = default!;
        var job = new Job(async (db, c) =>
        {
            var (keep, r) = await write(db, c);
            result = r;
            return keep;
        }, ct);
        ObjectDisposedException.ThrowIf(!_queue.Writer.TryWrite(job), this);
        await job.Done.Task;
        return result;
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
        // One context for the whole group: the writes run one after another on the same connection and transaction.
        // Its change tracker is emptied before each write, so nothing one write added is seen by the next.
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
            // Each write has its own savepoint already; EF's extra one around every SaveChanges would only cost statements.
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
                    keep = await job.Write(db, job.Cancel);
                }
                catch (Exception e)
                {
                    if (ErrorHandling.Contended(e) && job.Attempts < MaxRetries) retry[i] = true;
                    else failures[i] = e;
                    keep = false;
                }
                if (keep) await tx.ReleaseAsync(savepoint, _stopping.Token);
                else await tx.RollbackAsync(savepoint, _stopping.Token);
            }
            db.ChangeTracker.Clear();
            await tx.CommitAsync(_stopping.Token);
            Interlocked.Increment(ref _batches);
            Interlocked.Add(ref _requests, batch.Count);
        }
        catch (Exception e)
        {
            // The shared transaction is lost: nothing of this group was stored and no write of it is acknowledged.
            _log.LogWarning(e, "A group of {Count} writes failed to commit", batch.Count);
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
                if (_queue.Writer.TryWrite(job)) continue;
                job.Done.TrySetCanceled();
            }
            else if (failures[i] is { } error) job.Done.TrySetException(error);
            else job.Done.TrySetResult();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        await StopAsync(CancellationToken.None);
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

    private sealed class Job(Func<TreueDb, CancellationToken, Task<bool>> write, CancellationToken cancel)
    {
        public Func<TreueDb, CancellationToken, Task<bool>> Write { get; } = write;
        public CancellationToken Cancel { get; } = cancel;
        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public int Attempts { get; set; }
    }
}

/// <summary>Marks endpoints for group commit.</summary>
public static class GroupCommitExtensions
{
    /// <summary>The endpoint's act writes through group commit and records the request's idempotency key with its writes.</summary>
    public static TBuilder WithGroupCommit<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(GroupCommitted.Instance);
}
