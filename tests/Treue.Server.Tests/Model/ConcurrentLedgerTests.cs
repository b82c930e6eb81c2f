using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.AspNetCore.Hosting;
using Treue.Server.Features.ApiKeys;
using Treue.Server.Features.Programmes;
using Treue.Server.Tests.Infrastructure;
using Treue.Storage.Entities;

namespace Treue.Server.Tests.Model;

/// <summary>
/// The concurrent ledger test: rounds of <see cref="ConcurrentScenario"/>, each a set-up and then four streams of acts
/// sent at the same time through the HTTP API, on PostgreSQL with group commit and several writers, or through two server
/// processes on one database. The streams contend on purpose: first purchases of the same members, fulfilments and
/// cancellations of the same reward orders, the last units of a scarce reward, returns of the same purchase, and the same
/// receipt, return id or Idempotency-Key sent from several streams at once.
/// <para>
/// The order in which concurrent acts take effect is not known in advance, so the test checks what must hold under any
/// interleaving (<see cref="ConcurrentLedgerChecks"/>):
/// </para>
/// <list type="bullet">
/// <item>every answer is a documented one (no 500, no refusal the act cannot have);</item>
/// <item>the ledger's invariants: every transaction sums to zero, each member's cached balances equal the sums of their
/// entries and of their lots, nothing is negative, a lot never holds more than it was given;</item>
/// <item>a serial order that explains the answers: each member's acts replayed in commit order (the order of their ledger
/// transactions, since every act locks the member's row before it writes) never drive a balance negative, every balance
/// an answer reported (a purchase's balance, a redemption's points left) equals the replayed balance at that act's place,
/// and a refusal for want of points was right at some state of that replay;</item>
/// <item>exactly one welcome bonus per member with purchases, on the member's first purchase in commit order, and the
/// member's purchase count equal to their purchases;</item>
/// <item>each reward order ends in exactly one state that agrees with every fulfil and cancel answer, with one
/// redemption, one refund if and only if cancelled, the stock issued equal to the orders not cancelled and never above
/// the limit, and an out-of-stock refusal only once the limit was reached;</item>
/// <item>acknowledged acts are all there exactly once: one purchase per receipt and one return per return id under the id
/// they were answered with, nothing that was refused or never sent, one order or adjustment per Idempotency-Key, the jobs'
/// lots and points as they answered; and what members hold equals what they held after the set-up plus what every
/// acknowledged act said it moved;</item>
/// <item>a replay never changes anything: afterwards every acknowledged purchase, return and keyed request is sent again,
/// all at once, must be answered with the same id, and leaves the database as it was.</item>
/// </list>
/// <para>
/// It can fail: with the <c>purchase_count = @seen</c> guard of <c>PointsLedger.CreditPurchaseAsync</c> taken out, it
/// reported two or three welcome bonuses for one member in every run tried, always in the first or second round: on one
/// server with four writers in 5 runs of 5 (round 1, 2, 1, 1, 1; 15 to 22 s into the test), through two nodes in 4 runs of
/// 4 (round 6 and 2 with 30 rounds asked for; then round 1 twice, 39 and 45 s in, where the member was the owner of the
/// set-up purchases, which are sent side by side). Those figures are from a machine with two cores and a load average
/// of 30 to 50; the passing test took 38 s for its 8 rounds on one server and 64 s for 4 rounds through two nodes there.
/// It also found a fault of the old purchase path: two copies of one receipt paying with points, at once on two nodes,
/// answered 500 instead of the first purchase (the second met the unique receipt index after its points payment). The
/// store of the pipeline answers that as a duplicate receipt, and the test now fails on any 500.
/// </para>
/// <para>
/// A failure prints the round's seed, the scenario and every answer. <c>TREUE_CONCURRENT_SEED</c> replays the same
/// scenarios (the interleaving is the scheduler's, so a race may need several tries: raise <c>TREUE_CONCURRENT_ROUNDS</c>);
/// <c>TREUE_CONCURRENT_STREAMS</c> sets the number of streams; <c>TREUE_MODEL_REPORT</c> names a file for the figures.
/// </para>
/// </summary>
public static class ConcurrentLedgerRunner
{
    public static async Task RunAsync(Func<ProgrammeDocument, Task<ConcurrentTarget>> open, int defaultRounds, string where)
    {
        var rounds = LedgerModelRunner.Setting("TREUE_CONCURRENT_ROUNDS", defaultRounds);
        var streams = LedgerModelRunner.Setting("TREUE_CONCURRENT_STREAMS", 4);
        var seed = LedgerModelRunner.Setting("TREUE_CONCURRENT_SEED", Random.Shared.Next(1, 1_000_000_000));
        var outcomes = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        var watch = Stopwatch.StartNew();
        TimeSpan setUpAndStreams = default, checks = default, replays = default;
        for (var round = 0; round < rounds; round++)
        {
            var scenario = ConcurrentScenario.Generate(seed + round, streams);
            var target = await open(ConcurrentLedgerRound.Document(scenario));
            var run = new ConcurrentLedgerRound(scenario, target);
            List<string> failures;
            try
            {
                var started = watch.Elapsed;
                await run.RunAsync();
                var ran = watch.Elapsed;
                failures = await ConcurrentLedgerChecks.CheckAsync(run);
                var checkedAt = watch.Elapsed;
                if (failures.Count == 0) failures = await run.ReplayAcknowledgedAsync();
                (setUpAndStreams, checks, replays) = (setUpAndStreams + (ran - started), checks + (checkedAt - ran), replays + (watch.Elapsed - checkedAt));
            }
            catch (Exception e)
            {
                failures = ["threw " + e];
            }
            foreach (var a in run.Answers)
                outcomes.AddOrUpdate($"{a.Act.GetType().Name.Replace("Act", "", StringComparison.Ordinal)} {(int)a.Status}{(a.Code is null ? "" : " " + a.Code)}", 1, (_, n) => n + 1);
            if (failures.Count > 0)
            {
                var sb = new StringBuilder();
                sb.AppendLine(CultureInfo.InvariantCulture, $"{where}: round {round + 1} of {rounds} failed after {watch.Elapsed.TotalSeconds:F1} s; " +
                    $"replay its scenario with TREUE_CONCURRENT_SEED={seed + round} (TREUE_CONCURRENT_STREAMS={streams})");
                foreach (var failure in failures) sb.AppendLine("  " + failure);
                sb.AppendLine(scenario.ToString());
                sb.AppendLine("answers:");
                foreach (var a in run.Answers) sb.AppendLine("  " + a);
                if (target.Logs?.Invoke() is { Length: > 0 } logs) sb.AppendLine("server logs:").AppendLine(logs.Length > 20_000 ? logs[^20_000..] : logs);
                throw new LedgerModelException(sb.ToString());
            }
        }
        var report = new List<string> { $"{where}: {rounds} rounds of {streams} streams (seeds {seed} to {seed + rounds - 1}) in {watch.Elapsed.TotalSeconds:F1} s " +
            $"(set-up and streams {setUpAndStreams.TotalSeconds:F1} s, checks {checks.TotalSeconds:F1} s, replays {replays.TotalSeconds:F1} s)" };
        report.AddRange(outcomes.OrderBy(o => o.Key, StringComparer.Ordinal).Select(o => $"  {o.Value,6}  {o.Key}"));
        foreach (var line in report) TestContext.Current.TestOutputHelper?.WriteLine(line);
        if (Environment.GetEnvironmentVariable("TREUE_MODEL_REPORT") is { Length: > 0 } file) await File.AppendAllLinesAsync(file, report);
    }
}

/// <summary>One in-memory server on PostgreSQL with four group-commit writers and groups of two, so that acts of one member meet in different writers.</summary>
public sealed class ConcurrentLedgerTestsOnPostgres(ConcurrentLedgerTestsOnPostgres.Server server) : IClassFixture<ConcurrentLedgerTestsOnPostgres.Server>
{
    public sealed class Server(PostgresCluster cluster) : PostgresServer(cluster)
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.UseSetting("Treue:GroupCommit:Writers", "4");
            builder.UseSetting("Treue:GroupCommit:MaxBatch", "2");
        }
    }

    [Fact]
    public Task Concurrent_streams_of_acts_through_four_writers_keep_every_invariant__replay_with_env_TREUE_CONCURRENT_SEED() =>
        ConcurrentLedgerRunner.RunAsync(async doc =>
        {
            var p = await server.NewProgrammeAsync(doc);
            return new ConcurrentTarget(p.Id, server.ConnectionString, [p.Admin], () => server.Clock.GetUtcNow().UtcDateTime,
                () => server.Clock.Advance(TimeSpan.FromSeconds(3)));
        }, defaultRounds: 8, "postgres, one server, four writers");
}

/// <summary>Two real server processes on one PostgreSQL database, three writers each; each stream's acts alternate between them.</summary>
public sealed class ConcurrentLedgerTestsOnTwoNodes(PostgresCluster cluster) : IAsyncLifetime
{
    private string _connectionString = "";
    private ServerProcess? _first, _second;

    public async ValueTask InitializeAsync()
    {
        _connectionString = await cluster.CreateDatabaseAsync();
        string[] settings = ["--Treue:GroupCommit:Writers=3", "--Treue:GroupCommit:MaxBatch=2"];
        _first = await ServerProcess.StartAsync(_connectionString, settings); // migrates the database
        _second = await ServerProcess.StartAsync(_connectionString, settings);
    }

    public async ValueTask DisposeAsync()
    {
        if (_first is not null) await _first.DisposeAsync();
        if (_second is not null) await _second.DisposeAsync();
    }

    [Fact]
    public Task Concurrent_streams_of_acts_through_two_nodes_keep_every_invariant__replay_with_env_TREUE_CONCURRENT_SEED() =>
        ConcurrentLedgerRunner.RunAsync(async doc =>
        {
            await using var db = ConcurrentLedgerRound.Db(_connectionString);
            var (result, refusal) = await new ProgrammeApplier(db, TimeProvider.System).ApplyAsync(doc with { Code = "c-" + Guid.NewGuid().ToString("N")[..10] },
                CancellationToken.None);
            if (refusal is not null) throw new InvalidOperationException(refusal.Message);
            var key = await ApiKeyEndpoints.CreateAsync(db, result!.ProgrammeId, "nodes", ApiRole.Admin, null, DateTime.UtcNow, CancellationToken.None);
            var clients = new[] { _first!, _second! }.Select(s =>
            {
                var c = new HttpClient { BaseAddress = s.Address };
                c.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key.Key);
                return c;
            }).ToList();
            return new ConcurrentTarget(result.ProgrammeId, _connectionString, clients, () => DateTime.UtcNow, null)
            {
                Logs = () => "first node:\n" + _first!.Output + "\nsecond node:\n" + _second!.Output,
            };
        }, defaultRounds: 4, "postgres, two nodes, three writers each");
}
