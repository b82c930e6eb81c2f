using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Treue.Server.Infrastructure;
using Treue.Server.Tests.Infrastructure;
using Treue.Storage;
using Treue.Storage.Entities;

namespace Treue.Server.Tests;

/// <summary>Group commit: concurrent requests share a transaction, each is acknowledged after its commit, and one failing request does not fail its neighbours.</summary>
public abstract class GroupCommitTests(TreueServer server)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private GroupCommit Group => server.Services.GetRequiredService<GroupCommit>();

    private Task Run(Func<TreueDb, CancellationToken, Task<bool>> write, CancellationToken ct) =>
        Group.WriteAsync(async (db, c) => (await write(db, c), 0), ct);

    private static IdempotencyRecord Marker(Guid scope, string key) =>
        new() { ProgrammeId = Guid.Empty, Scope = scope, Key = key, RequestHash = "test", StatusCode = 200 };

    private Task<List<string>> KeysAsync(Guid scope) =>
        server.WithDbAsync(db => db.IdempotencyRecords.AsNoTracking().Where(r => r.Scope == scope).Select(r => r.Key).OrderBy(k => k).ToListAsync(Ct));

    [Fact]
    public async Task Requests_waiting_while_a_group_runs_share_the_next_transaction()
    {
        var scope = Guid.NewGuid();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var before = Group.Counts;
        // The first request holds the writer until the other 19 are queued; they then commit together.
        var first = Run(async (db, ct) =>
        {
            await gate.Task.WaitAsync(ct);
            db.IdempotencyRecords.Add(Marker(scope, "k00"));
            await db.SaveChangesAsync(ct);
            return true;
        }, Ct);
        var rest = Enumerable.Range(1, 19).Select(i => Run(async (db, ct) =>
        {
            db.IdempotencyRecords.Add(Marker(scope, $"k{i:00}"));
            await db.SaveChangesAsync(ct);
            return true;
        }, Ct)).ToList();
        gate.SetResult();
        await Task.WhenAll(rest.Append(first));

        var after = Group.Counts;
        Assert.Equal(20, after.Requests - before.Requests);
        Assert.InRange(after.Batches - before.Batches, 1, 3);
        Assert.Equal(Enumerable.Range(0, 20).Select(i => $"k{i:00}"), await KeysAsync(scope));
    }

    [Fact]
    public async Task A_request_that_fails_is_rolled_back_alone_and_its_neighbours_commit()
    {
        var scope = Guid.NewGuid();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var holder = Run(async (_, ct) => { await gate.Task.WaitAsync(ct); return true; }, Ct);
        var jobs = new List<Task>();
        for (var i = 0; i < 12; i++)
        {
            var n = i;
            jobs.Add(Run(async (db, ct) =>
            {
                db.IdempotencyRecords.Add(Marker(scope, $"k{n:00}"));
                await db.SaveChangesAsync(ct);
                switch (n % 4)
                {
                    case 1: throw new InvalidOperationException("boom " + n); // fails after writing
                    case 2: return false; // refuses: its writes are not kept
                    case 3:
                        // A database error (a duplicate key): on PostgreSQL this aborts the transaction unless its savepoint is rolled back.
                        db.ChangeTracker.Clear();
                        db.IdempotencyRecords.Add(Marker(scope, $"k{n - 3:00}"));
                        await db.SaveChangesAsync(ct);
                        return true;
                    default: return true;
                }
            }, Ct));
        }
        gate.SetResult();
        await holder;
        for (var i = 0; i < jobs.Count; i++)
        {
            switch (i % 4)
            {
                case 1:
                    Assert.Equal("boom " + i, (await Assert.ThrowsAsync<InvalidOperationException>(() => jobs[i])).Message);
                    break;
                case 3:
                    await Assert.ThrowsAsync<DbUpdateException>(() => jobs[i]);
                    break;
                default:
                    await jobs[i];
                    break;
            }
        }
        Assert.Equal(["k00", "k04", "k08"], await KeysAsync(scope));
    }

    [Fact]
    public async Task Concurrent_purchases_over_http_are_each_stored_once_and_acknowledged_after_their_commit()
    {
        var p = await server.NewProgrammeAsync();
        var cards = new List<string>();
        for (var i = 0; i < 5; i++) cards.Add((await p.EnrolAsync()).Card);
        var before = Group.Counts;
        var responses = await Task.WhenAll(Enumerable.Range(0, 40).Select(async i =>
        {
            using var req = new HttpRequestMessage(HttpMethod.Post, "/api/v1/purchases")
            {
                Content = JsonContent.Create(TestProgramme.Purchase("g" + i, cards[i % cards.Count], ("a", "c", 1, 10m + i)), options: TestProgramme.Json),
            };
            req.Headers.Add("Idempotency-Key", "gk-" + i);
            using var res = await p.Pos.SendAsync(req, Ct);
            // Acknowledged means committed: the purchase is visible to a reader that shares nothing with the request.
            var stored = res.StatusCode == HttpStatusCode.Created
                && await server.WithDbAsync(db => db.Purchases.AnyAsync(x => x.ProgrammeId == p.Id && x.ReceiptId == "g" + i, Ct));
            return (res.StatusCode, stored);
        }));
        Assert.All(responses, r => Assert.Equal((HttpStatusCode.Created, true), r));
        var after = Group.Counts;
        Assert.True(after.Requests - before.Requests >= 40, $"{after.Requests - before.Requests} grouped requests");
        Assert.Equal(40, await server.WithDbAsync(db => db.Purchases.CountAsync(x => x.ProgrammeId == p.Id, Ct)));
        var expected = Enumerable.Range(0, 40).Sum(i => 10L + i);
        Assert.Equal(expected, await server.WithDbAsync(db => db.Members.Where(m => m.ProgrammeId == p.Id).SumAsync(m => m.Available + m.Pending, Ct)));
        await p.AssertLedgerInvariantsAsync();
    }
}

public sealed class GroupCommitTestsOnSqlite(SqliteServer server) : GroupCommitTests(server), IClassFixture<SqliteServer>;

public sealed class GroupCommitTestsOnPostgres(GroupCommitTestsOnPostgres.Server server) : GroupCommitTests(server), IClassFixture<GroupCommitTestsOnPostgres.Server>
{
    /// <summary>One writer, so that which request shares which transaction is as predictable as on SQLite.</summary>
    public sealed class Server(PostgresCluster cluster) : PostgresServer(cluster)
    {
        protected override void ConfigureWebHost(Microsoft.AspNetCore.Hosting.IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.UseSetting("Treue:GroupCommit:Writers", "1");
        }
    }
}

/// <summary>Several writers on PostgreSQL: transactions that deadlock each other lose one request, which runs again.</summary>
public sealed class GroupCommitWritersOnPostgres(GroupCommitWritersOnPostgres.Server server) : IClassFixture<GroupCommitWritersOnPostgres.Server>
{
    public sealed class Server(PostgresCluster cluster) : PostgresServer(cluster)
    {
        protected override void ConfigureWebHost(Microsoft.AspNetCore.Hosting.IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.UseSetting("Treue:GroupCommit:Writers", "2");
        }
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Two_writers_that_deadlock_lose_one_request_which_runs_again_and_counts_once()
    {
        var group = server.Services.GetRequiredService<GroupCommit>();
        Assert.Equal(2, group.Writers);
        var p = await server.NewProgrammeAsync();
        var (x, y) = ((await p.EnrolAsync()).Member, (await p.EnrolAsync()).Member);
        var aHolds = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var bHolds = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var runs = 0;

        // Each job counts one purchase on both members, in opposite orders, and waits for the other to hold its first
        // row lock before it takes its second: the two writers' transactions wait for each other.
        Func<TreueDb, CancellationToken, Task<(bool, int)>> Job(Guid first, Guid second, TaskCompletionSource mine, TaskCompletionSource theirs) =>
            async (db, ct) =>
            {
                Interlocked.Increment(ref runs);
                await Count(db, first, ct);
                mine.TrySetResult();
                await theirs.Task.WaitAsync(TimeSpan.FromSeconds(10), ct);
                await Count(db, second, ct);
                return (true, 0);
            };
        var retriesBefore = group.Retries;
        var a = group.WriteAsync(Job(x, y, aHolds, bHolds), Ct);
        await aHolds.Task.WaitAsync(TimeSpan.FromSeconds(10), Ct); // writer one is busy with a, so writer two takes b
        var b = group.WriteAsync(Job(y, x, bHolds, aHolds), Ct);
        await Task.WhenAll(a, b).WaitAsync(TimeSpan.FromSeconds(30), Ct);

        Assert.Equal(3, runs); // the deadlock's loser ran twice
        Assert.Equal(retriesBefore + 1, group.Retries);
        var counts = await server.WithDbAsync(db => db.Members.Where(m => m.Id == x || m.Id == y).Select(m => m.PurchaseCount).ToListAsync(Ct));
        Assert.Equal([2, 2], counts); // the lost run left nothing behind
    }

    private static Task<int> Count(TreueDb db, Guid member, CancellationToken ct) =>
        db.Members.Where(m => m.Id == member).ExecuteUpdateAsync(s => s.SetProperty(m => m.PurchaseCount, m => m.PurchaseCount + 1), ct);
}
