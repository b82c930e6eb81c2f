using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Treue.Domain;
using Treue.Server.Features.ApiKeys;
using Treue.Server.Features.Programmes;
using Treue.Server.Tests.Infrastructure;
using Treue.Storage;
using Treue.Storage.Entities;

namespace Treue.Server.Tests;

/// <summary>
/// Kills the real server with SIGKILL three times (and PostgreSQL once) while tills send purchases and retry the way
/// tills do; afterwards every acknowledged purchase is in the ledger exactly once, unaltered, and the invariants hold.
/// A killed process leaves its writes in the kernel's page cache, so those tests cannot see a missing sync; the power-cut
/// tests run the storage under <see cref="PowerCut"/> and check what a power cut would have left instead.
/// </summary>
public sealed class CrashTests
{
    private const int Clients = 24;

    [Fact]
    public async Task Acknowledged_purchases_survive_server_kills_on_sqlite()
    {
        var folder = Path.Combine(Path.GetTempPath(), "treue-crash-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(folder);
        try
        {
            await RunAsync(StorageSetup.DefaultConnectionString(folder), null);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try { Directory.Delete(folder, true); } catch (IOException) { }
        }
    }

    [Fact]
    public async Task Acknowledged_purchases_survive_server_and_database_kills_on_postgres()
    {
        var cluster = new PostgresCluster { Private = true };
        await cluster.InitializeAsync();
        try
        {
            await RunAsync(await cluster.CreateDatabaseAsync(), cluster);
        }
        finally
        {
            await cluster.DisposeAsync();
        }
    }

    private static async Task RunAsync(string cs, PostgresCluster? cluster)
    {
        var port = ServerProcess.FreePort();
        var server = await ServerProcess.StartAsync(cs, port);
        var (key, cards) = await SeedAsync(cs);
        using var http = new HttpClient { BaseAddress = server.Address, Timeout = TimeSpan.FromSeconds(10) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);

        var acknowledged = new ConcurrentDictionary<string, (long TotalMinor, long Points)>();
        var retries = 0;
        var lastFailure = "";
        var events = new ConcurrentQueue<string>();
        var next = 0;
        // The tills stop when the kills are over and purchases flow again; the time limit only ends a run that hangs (a busy
        // machine restarts a server in a minute or more, and the tills must still be there when it is back).
        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(20));
        var clock = Stopwatch.StartNew();
        var tills = Enumerable.Range(0, Clients).Select(async _ =>
        {
            while (!stop.IsCancellationRequested)
            {
                var i = Interlocked.Increment(ref next);
                var receipt = $"crash-{i}";
                var amount = 1 + i % 97 + (i % 7) / 10m;
                var body = new { receiptId = receipt, partner = "shop", currency = "EUR", cardNumber = cards[i % cards.Length], total = amount,
                    lines = new[] { new { sku = "a", quantity = 1m, unitPrice = amount } } };
                // A till retries the same request with the same key until it gets an answer.
                while (true)
                {
                    try
                    {
                        using var req = new HttpRequestMessage(HttpMethod.Post, "/api/v1/purchases") { Content = JsonContent.Create(body) };
                        req.Headers.Add("Idempotency-Key", "till-" + receipt);
                        using var res = await http.SendAsync(req);
                        if (res.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK)
                        {
                            var json = (await res.Content.ReadFromJsonAsync<JsonObject>())!;
                            acknowledged[receipt] = ((long)(amount * 100), (long)json["pointsEarned"]!);
                            events.Enqueue($"{clock.Elapsed.TotalSeconds:F1}s ack");
                            break;
                        }
                        lastFailure = $"{(int)res.StatusCode} {await res.Content.ReadAsStringAsync()}";
                        events.Enqueue($"{clock.Elapsed.TotalSeconds:F1}s {(int)res.StatusCode}");
                        if ((int)res.StatusCode < 500 && res.StatusCode != HttpStatusCode.Conflict)
                            Assert.Fail($"{receipt}: {lastFailure}");
                    }
                    catch (HttpRequestException e) { lastFailure = e.Message; events.Enqueue($"{clock.Elapsed.TotalSeconds:F1}s refused"); }
                    catch (TaskCanceledException e) { lastFailure = e.Message; }
                    Interlocked.Increment(ref retries);
                    await Task.Delay(25);
                }
            }
        }).ToArray();

        // Three server kills at random moments, each once purchases flow again, and one database crash on PostgreSQL.
        // Waiting for acknowledgements (not for wall-clock time) keeps the test meaningful on a slow or busy machine.
        var random = new Random();
        async Task FlowingAsync(int more)
        {
            var target = acknowledged.Count + more;
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
            while (acknowledged.Count < target)
            {
                if (DateTime.UtcNow > deadline)
                    Assert.Fail($"purchases stopped flowing: {acknowledged.Count} acknowledged; last failure: {lastFailure}; events: {string.Join(", ", Compress(events))}; server: {server.Output}");
                await Task.Delay(20);
            }
        }
        for (var kill = 0; kill < 3; kill++)
        {
            await FlowingAsync(200);
            if (cluster is not null && kill == 1)
            {
                await Task.Delay(random.Next(0, 1000));
                events.Enqueue($"{clock.Elapsed.TotalSeconds:F1}s DATABASE CRASH");
                await cluster.CrashAndRestartAsync(TimeSpan.FromMilliseconds(500));
                events.Enqueue($"{clock.Elapsed.TotalSeconds:F1}s DATABASE UP");
                await FlowingAsync(200);
            }
            await Task.Delay(random.Next(0, 1500));
            events.Enqueue($"{clock.Elapsed.TotalSeconds:F1}s SERVER KILL");
            server.Kill();
            await server.DisposeAsync();
            server = await ServerProcess.StartAsync(cs, port, "--Treue:MigrateOnStart=false");
        }
        await FlowingAsync(200);
        await stop.CancelAsync();
        await Task.WhenAll(tills);
        var elapsed = clock.Elapsed;
        await server.DisposeAsync();

        // Connections pooled in this process before the database crash are dead.
        Npgsql.NpgsqlConnection.ClearAllPools();
        var options = new DbContextOptionsBuilder<TreueDb>();
        options.UseTreueDatabase(cs);
        await using var db = new TreueDb(options.Options);
        var stored = await db.Purchases.AsNoTracking().Select(p => new { p.ReceiptId, p.TotalMinor, p.PointsEarned }).ToListAsync();
        var byReceipt = stored.GroupBy(p => p.ReceiptId).ToDictionary(g => g.Key, g => g.ToList());
        foreach (var (receipt, ack) in acknowledged)
        {
            Assert.True(byReceipt.TryGetValue(receipt, out var rows), $"acknowledged purchase {receipt} is missing");
            Assert.Single(rows);
            Assert.Equal(ack.TotalMinor, rows[0].TotalMinor);
            Assert.Equal(ack.Points, rows[0].PointsEarned);
        }
        var earnTransactions = await db.LedgerTransactions.CountAsync(t => t.Kind == Domain.Ledger.LedgerKind.Earn);
        Assert.Equal(stored.Count, earnTransactions);
        await LedgerInvariants.AssertAsync(db, await db.Programmes.Select(p => p.Id).SingleAsync());
        var report = $"{(cluster is null ? "SQLite" : "PostgreSQL")}: {acknowledged.Count} acknowledged purchases in {elapsed.TotalSeconds:F1} s " +
            $"({acknowledged.Count / elapsed.TotalSeconds:F0}/s) with 3 server kills{(cluster is null ? "" : " and a database crash")}, {retries} retries, {stored.Count} stored.";
        TestContext.Current.SendDiagnosticMessage(report);
        // Passing tests' output is not shown by the runner; TREUE_CRASH_REPORT names a file to append the figures to.
        if (Environment.GetEnvironmentVariable("TREUE_CRASH_REPORT") is { Length: > 0 } file)
            await File.AppendAllLinesAsync(file, [report]);
        Assert.True(acknowledged.Count >= 800, $"too few purchases were acknowledged to prove anything: {acknowledged.Count}, {retries} retries, {stored.Count} stored; last failure: {lastFailure}; events: {string.Join(", ", Compress(events))}; server output: {string.Join("\n", server.Output.Split("\n").Where(l => l.Contains("Exception") || l.Contains("MessageText")).Distinct().Take(30))}");
    }

    [Fact]
    public async Task Power_cut_layer_keeps_only_what_was_synced()
    {
        var folder = Path.Combine(Path.GetTempPath(), "treue-powercut-" + Guid.NewGuid().ToString("N")[..8]);
        var watched = Path.Combine(folder, "data");
        Directory.CreateDirectory(watched);
        try
        {
            await File.WriteAllTextAsync(Path.Combine(watched, "old"), "before");
            using var cut = await PowerCut.CreateAsync(watched, folder);
            var clock = Stopwatch.StartNew();
            // dd writes with write(2); conv=fsync syncs at the end, oflag=dsync opens with O_DSYNC.
            await ShAsync(cut.Preload(TimeSpan.FromMilliseconds(100)), watched, """
                printf 'synced' | dd of=a conv=fsync status=none
                printf 'lost' | dd of=a bs=1 seek=20 conv=notrunc status=none
                printf 'never synced' | dd of=b status=none
                printf 'dsync' | dd of=c oflag=dsync status=none
                printf 'moved' | dd of=d.tmp conv=fsync status=none && mv d.tmp d
                printf 'gone' | dd of=e conv=fsync status=none && rm e
                printf 'new' | dd of=old conv=fsync status=none
                """);
            Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(5 * 100), "each sync waits the delay before it returns");
            // The real folder has everything a process kill would keep.
            Assert.Equal("synced", (await File.ReadAllTextAsync(Path.Combine(watched, "a")))[..6]);
            Assert.Equal(24, new FileInfo(Path.Combine(watched, "a")).Length);
            Assert.True(File.Exists(Path.Combine(watched, "b")));
            // The shadow has only what was synced.
            Assert.Equal("synced", await File.ReadAllTextAsync(Path.Combine(cut.Shadow, "a")));
            Assert.False(File.Exists(Path.Combine(cut.Shadow, "b")));
            Assert.Equal("dsync", await File.ReadAllTextAsync(Path.Combine(cut.Shadow, "c")));
            Assert.Equal("moved", await File.ReadAllTextAsync(Path.Combine(cut.Shadow, "d")));
            Assert.False(File.Exists(Path.Combine(cut.Shadow, "d.tmp")));
            Assert.False(File.Exists(Path.Combine(cut.Shadow, "e")));
            Assert.Equal("new", await File.ReadAllTextAsync(Path.Combine(cut.Shadow, "old")));
        }
        finally
        {
            try { Directory.Delete(folder, true); } catch (IOException) { }
        }
    }

    private static async Task ShAsync(IReadOnlyDictionary<string, string> environment, string folder, string script)
    {
        var psi = new ProcessStartInfo("sh") { WorkingDirectory = folder, RedirectStandardInput = true, RedirectStandardError = true };
        foreach (var (name, value) in environment) psi.Environment[name] = value;
        using var process = Process.Start(psi)!;
        await process.StandardInput.WriteAsync("set -e\n" + script);
        process.StandardInput.Close();
        var stderr = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, stderr);
    }

    // A sync that takes this long more widens the window in which an answer sent before its sync returned is caught.
    private static readonly TimeSpan SyncDelay = TimeSpan.FromMilliseconds(5);

    [Fact]
    public async Task Acknowledged_purchases_survive_a_power_cut_on_sqlite()
    {
        var (run, afterCut, _) = await SqlitePowerCutAsync(SqliteSynchronous.Full, target: 300);
        AssertNothingLost(run, afterCut);
        await ReportAsync($"SQLite power cut: {run}; the shadow holds {afterCut.Stored} purchases.");
    }

    [Fact]
    public async Task Power_cut_test_finds_purchases_lost_when_sqlite_does_not_sync()
    {
        var (run, afterCut, afterKill) = await SqlitePowerCutAsync(SqliteSynchronous.Off, target: 150);
        // The process kill alone keeps everything (the page cache survives it), so only the power cut can tell.
        Assert.Empty(afterKill.Missing);
        Assert.True(afterCut.Missing.Count > 0, $"with synchronous=OFF the power cut lost nothing: {run}");
        await ReportAsync($"SQLite power cut with synchronous=OFF: {run}; {afterCut.Missing.Count} acknowledged purchases missing from the shadow, none after the kill alone.");
    }

    [Fact]
    public async Task Acknowledged_purchases_survive_a_power_cut_on_postgres()
    {
        var (run, afterCut) = await PostgresPowerCutAsync(synchronousCommit: true, target: 300);
        AssertNothingLost(run, afterCut);
        await ReportAsync($"PostgreSQL power cut: {run}; the shadow holds {afterCut.Stored} purchases.");
    }

    [Fact]
    public async Task Power_cut_test_finds_purchases_lost_by_postgres_without_synchronous_commit()
    {
        var (run, afterCut) = await PostgresPowerCutAsync(synchronousCommit: false, target: 150);
        Assert.True(afterCut.Missing.Count > 0, $"with synchronous_commit=off the power cut lost nothing: {run}");
        await ReportAsync($"PostgreSQL power cut with synchronous_commit=off: {run}; {afterCut.Missing.Count} acknowledged purchases missing from the shadow.");
    }

    private static void AssertNothingLost(PowerCutRun run, Findings found)
    {
        Assert.True(found.Missing.Count == 0, $"{found.Missing.Count} acknowledged purchases are missing after the power cut, e.g. {string.Join(", ", found.Missing.Take(5))}; {run}");
        Assert.True(found.Duplicated.Count == 0, $"stored more than once: {string.Join(", ", found.Duplicated.Take(5))}");
        Assert.True(found.Altered.Count == 0, $"stored with other amounts or points: {string.Join(", ", found.Altered.Take(5))}");
        Assert.Equal(found.Stored, found.EarnTransactions);
    }

    /// <summary>
    /// The server on SQLite under the power-cut layer, killed while tills send purchases; what its shadow copy holds
    /// (a power cut) and what the real folder holds (a process kill).
    /// </summary>
    private static async Task<(PowerCutRun Run, Findings AfterCut, Findings AfterKill)> SqlitePowerCutAsync(SqliteSynchronous synchronous, int target)
    {
        var folder = Path.Combine(Path.GetTempPath(), "treue-powercut-" + Guid.NewGuid().ToString("N")[..8]);
        var data = Path.Combine(folder, "data");
        Directory.CreateDirectory(data);
        try
        {
            var cs = StorageSetup.DefaultConnectionString(data);
            var (key, cards) = await MigrateAndSeedAsync(cs);
            // Closing the last connection checkpoints the database: the shadow starts from the whole file.
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            using var cut = await PowerCut.CreateAsync(data, folder);
            await using var server = await ServerProcess.StartAsync(cs, ServerProcess.FreePort(), cut.Preload(SyncDelay),
                "--Treue:MigrateOnStart=false", $"--{StorageSetup.SqliteSynchronousSetting}={synchronous}");
            var run = await SendUntilPowerCutAsync(server, key, cards, target, () =>
            {
                server.Kill();
                return Task.CompletedTask;
            });
            var afterCut = await FindAsync(StorageSetup.DefaultConnectionString(cut.Shadow), run.Acknowledged, synchronous == SqliteSynchronous.Full);
            var afterKill = await FindAsync(cs, run.Acknowledged, checkInvariants: false);
            return (run, afterCut, afterKill);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try { Directory.Delete(folder, true); } catch (IOException) { }
        }
    }

    /// <summary>
    /// PostgreSQL (syncing as in production) under the power-cut layer, its processes and the server's killed while tills
    /// send purchases; then PostgreSQL starts on the shadow copy, recovers from its write-ahead log, and is checked.
    /// </summary>
    private static async Task<(PowerCutRun Run, Findings AfterCut)> PostgresPowerCutAsync(bool synchronousCommit, int target)
    {
        var cluster = new PostgresCluster { Private = true, Durable = true };
        await cluster.InitializeAsync();
        try
        {
            var cs = await cluster.CreateDatabaseAsync();
            var (key, cards) = await MigrateAndSeedAsync(cs);
            Npgsql.NpgsqlConnection.ClearAllPools();
            if (!synchronousCommit)
            {
                // Asynchronous commits reach the disk when the WAL writer flushes, every 200 ms by default: a cut could
                // land just after a flush. Flushing every 10 s (its documented maximum) makes the loss certain.
                await using var admin = new Npgsql.NpgsqlConnection(cluster.AdminConnectionString);
                await admin.OpenAsync();
                foreach (var setting in new[] { "wal_writer_delay = '10s'", "wal_writer_flush_after = '1GB'" })
                {
                    await using var alter = new Npgsql.NpgsqlCommand("ALTER SYSTEM SET " + setting, admin); // outside a transaction
                    await alter.ExecuteNonQueryAsync();
                }
            }
            await cluster.StopAsync();
            using var cut = await PowerCut.CreateAsync(cluster.DataDirectory, cluster.Folder, cluster.User);
            await cluster.StartAsync(cut.Preload(SyncDelay));
            // The server's own setting, as an operator could make it: commits are acknowledged before their log is flushed.
            var serverCs = synchronousCommit ? cs : cs + ";Options=-c synchronous_commit=off";
            await using var server = await ServerProcess.StartAsync(serverCs, ServerProcess.FreePort(), "--Treue:MigrateOnStart=false");
            var run = await SendUntilPowerCutAsync(server, key, cards, target, async () =>
            {
                await cluster.PowerCutAsync();
                server.Kill();
            }, halfway: !synchronousCommit ? (Func<Task>?)null : async () =>
            {
                // Data files, the control file and recycled log segments are synced too, not only the log.
                await using var admin = new Npgsql.NpgsqlConnection(cluster.AdminConnectionString);
                await admin.OpenAsync();
                await using var checkpoint = new Npgsql.NpgsqlCommand("CHECKPOINT", admin);
                await checkpoint.ExecuteNonQueryAsync();
            });
            cluster.UseDataDirectory(cut.Shadow);
            await cluster.StartAsync();
            Npgsql.NpgsqlConnection.ClearAllPools();
            return (run, await FindAsync(cs, run.Acknowledged, synchronousCommit));
        }
        finally
        {
            Npgsql.NpgsqlConnection.ClearAllPools();
            await cluster.DisposeAsync();
        }
    }

    private sealed record PowerCutRun(IReadOnlyDictionary<string, (long TotalMinor, long Points)> Acknowledged, int Retries, TimeSpan Elapsed)
    {
        public override string ToString() =>
            $"{Acknowledged.Count} purchases acknowledged in {Elapsed.TotalSeconds:F1} s before the cut, {Retries} retries";
    }

    private sealed record Findings(int Stored, int EarnTransactions, List<string> Missing, List<string> Duplicated, List<string> Altered);

    /// <summary>
    /// Tills send purchases, retrying each with its key until it is answered, until <paramref name="target"/> were
    /// acknowledged and a moment more; then the power goes (<paramref name="cutAsync"/>) with requests in flight.
    /// </summary>
    private static async Task<PowerCutRun> SendUntilPowerCutAsync(ServerProcess server, string key, string[] cards, int target,
        Func<Task> cutAsync, Func<Task>? halfway = null)
    {
        using var http = new HttpClient { BaseAddress = server.Address, Timeout = TimeSpan.FromSeconds(10) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        var acknowledged = new ConcurrentDictionary<string, (long TotalMinor, long Points)>();
        var retries = 0;
        var lastFailure = "";
        var next = 0;
        using var stop = new CancellationTokenSource();
        var clock = Stopwatch.StartNew();
        var tills = Enumerable.Range(0, Clients).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var i = Interlocked.Increment(ref next);
                var receipt = $"cut-{i}";
                var amount = 1 + i % 97 + (i % 7) / 10m;
                var body = new { receiptId = receipt, partner = "shop", currency = "EUR", cardNumber = cards[i % cards.Length], total = amount,
                    lines = new[] { new { sku = "a", quantity = 1m, unitPrice = amount } } };
                while (true)
                {
                    try
                    {
                        using var req = new HttpRequestMessage(HttpMethod.Post, "/api/v1/purchases") { Content = JsonContent.Create(body) };
                        req.Headers.Add("Idempotency-Key", "till-" + receipt);
                        using var res = await http.SendAsync(req, stop.Token);
                        if (res.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK)
                        {
                            var json = (await res.Content.ReadFromJsonAsync<JsonObject>(stop.Token))!;
                            acknowledged[receipt] = ((long)(amount * 100), (long)json["pointsEarned"]!);
                            break;
                        }
                        lastFailure = $"{(int)res.StatusCode} {await res.Content.ReadAsStringAsync(stop.Token)}";
                        if ((int)res.StatusCode < 500 && res.StatusCode != HttpStatusCode.Conflict)
                            Assert.Fail($"{receipt}: {lastFailure}");
                    }
                    catch (OperationCanceledException) when (stop.IsCancellationRequested) { return; }
                    catch (HttpRequestException e) { lastFailure = e.Message; }
                    catch (TaskCanceledException e) { lastFailure = e.Message; }
                    Interlocked.Increment(ref retries);
                    try { await Task.Delay(25, stop.Token); } catch (OperationCanceledException) { return; }
                }
            }
        })).ToArray();
        try
        {
            async Task UntilAsync(int count)
            {
                var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
                while (acknowledged.Count < count)
                {
                    if (DateTime.UtcNow > deadline || tills.Any(t => t.IsFaulted))
                        Assert.Fail($"purchases stopped flowing: {acknowledged.Count} acknowledged; last failure: {lastFailure}; server: {server.Output}");
                    await Task.Delay(10);
                }
            }
            await UntilAsync(target / 2);
            if (halfway is not null) await halfway();
            await UntilAsync(target);
            await Task.Delay(Random.Shared.Next(0, 200));
            await cutAsync();
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(tills);
        }
        return new PowerCutRun(new Dictionary<string, (long, long)>(acknowledged), retries, clock.Elapsed);
    }

    /// <summary>Which acknowledged purchases the database lacks, holds twice or holds otherwise; the ledger's invariants if asked.</summary>
    private static async Task<Findings> FindAsync(string cs, IReadOnlyDictionary<string, (long TotalMinor, long Points)> acknowledged, bool checkInvariants)
    {
        var options = new DbContextOptionsBuilder<TreueDb>();
        options.UseTreueDatabase(cs);
        await using var db = new TreueDb(options.Options);
        var stored = await db.Purchases.AsNoTracking().Select(p => new { p.ReceiptId, p.TotalMinor, p.PointsEarned }).ToListAsync();
        var byReceipt = stored.GroupBy(p => p.ReceiptId).ToDictionary(g => g.Key, g => g.ToList());
        var missing = new List<string>();
        var duplicated = new List<string>();
        var altered = new List<string>();
        foreach (var (receipt, ack) in acknowledged)
        {
            if (!byReceipt.TryGetValue(receipt, out var rows)) missing.Add(receipt);
            else if (rows.Count > 1) duplicated.Add(receipt);
            else if (rows[0].TotalMinor != ack.TotalMinor || rows[0].PointsEarned != ack.Points) altered.Add(receipt);
        }
        var earnTransactions = await db.LedgerTransactions.CountAsync(t => t.Kind == Domain.Ledger.LedgerKind.Earn);
        if (checkInvariants) await LedgerInvariants.AssertAsync(db, await db.Programmes.Select(p => p.Id).SingleAsync());
        return new Findings(stored.Count, earnTransactions, missing, duplicated, altered);
    }

    private static async Task<(string Key, string[] Cards)> MigrateAndSeedAsync(string cs)
    {
        var options = new DbContextOptionsBuilder<TreueDb>();
        options.UseTreueDatabase(cs);
        await using (var db = new TreueDb(options.Options))
            await db.Database.MigrateAsync();
        return await SeedAsync(cs);
    }

    private static async Task ReportAsync(string report)
    {
        TestContext.Current.SendDiagnosticMessage(report);
        if (Environment.GetEnvironmentVariable("TREUE_CRASH_REPORT") is { Length: > 0 } file)
            await File.AppendAllLinesAsync(file, [report]);
    }

    private static IEnumerable<string> Compress(IEnumerable<string> events)
    {
        string? last = null;
        var n = 0;
        foreach (var e in events.Append(""))
        {
            var kind = e.Contains(' ') ? e[(e.IndexOf(' ') + 1)..] : e;
            if (kind == last) { n++; continue; }
            if (last is not null) yield return $"{last}×{n}";
            if (e.Contains("SERVER", StringComparison.Ordinal) || e.Contains("DATABASE", StringComparison.Ordinal)) { yield return e; last = null; continue; }
            last = kind;
            n = 1;
        }
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private static async Task<(string Key, string[] Cards)> SeedAsync(string cs)
    {
        var options = new DbContextOptionsBuilder<TreueDb>();
        options.UseTreueDatabase(cs);
        await using var db = new TreueDb(options.Options);
        var (result, _) = await new ProgrammeApplier(db, TimeProvider.System).ApplyAsync(TestProgramme.DefaultDocument with { Code = "crash" }, CancellationToken.None);
        var key = (await ApiKeyEndpoints.CreateAsync(db, result!.ProgrammeId, "tills", ApiRole.Pos, null, DateTime.UtcNow, CancellationToken.None)).Key;
        var cards = new List<string>();
        for (var i = 0; i < 200; i++)
        {
            var member = new Member { Id = Guid.CreateVersion7(), ProgrammeId = result.ProgrammeId, Name = "Till customer " + i, EnrolledAt = DateTime.UtcNow };
            var card = new Card { Id = Guid.CreateVersion7(), ProgrammeId = result.ProgrammeId, MemberId = member.Id, Number = CardNumbers.Create(), IssuedAt = DateTime.UtcNow };
            db.Members.Add(member);
            db.Cards.Add(card);
            cards.Add(card.Number);
        }
        await db.SaveChangesAsync();
        return (key, cards.ToArray());
    }
}
