using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using CsCheck;
using Treue.Server.Tests.Infrastructure;

namespace Treue.Server.Tests.Model;

/// <summary>
/// Model-based property test of the points ledger: CsCheck generates programmes and sequences of 5 to 25 operations
/// (enrol, earn, return, replay, redeem, cancel, expire, post pending, adjust), runs each against the real services on a
/// real database and against <see cref="LedgerModel"/>, and checks the ledger's invariants after every step. Two programmes
/// in three also run a coupon campaign (10 % off cheese, with a per-member limit, a money budget and the code released on a
/// whole return, as generated) and a bread stamp card whose full card gives points; purchases may present the code, and the
/// model predicts the discounts, the campaign's use and budget, the member's uses and stamp card, and the card's points.
/// <para>
/// A failure prints the CsCheck seed of the smallest failing sequence and the sequence itself. To replay it, run the
/// test again with the environment variable <c>CsCheck_Seed</c> set to that seed (the seed is tried first). Set
/// <c>TREUE_MODEL_SEQUENCES</c> to change how many sequences run, <c>CsCheck_Threads</c> how many run at once, and
/// <c>TREUE_MODEL_DB_FOLDER</c> where the SQLite files go (default: the RAM-backed /dev/shm when it exists).
/// </para>
/// </summary>
public static class LedgerModelRunner
{
    public static int Setting(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) && v > 0 ? v : fallback;

    /// <summary>
    /// Runs <paramref name="sequences"/> scenarios; each borrows a database from <paramref name="lease"/> for its duration
    /// (so parallel sequences on SQLite never queue on one file's write lock) and gives it back afterwards.
    /// </summary>
    public static async Task RunAsync(int sequences, Func<Task<ModelDatabase>> lease, Action<ModelDatabase> giveBack, string database)
    {
        var output = TestContext.Current.TestOutputHelper;
        var stats = new ModelRunStats();
        var watch = Stopwatch.StartNew();
        try
        {
            await LedgerGenerators.Scenario.SampleAsync(async scenario =>
                {
                    var db = await lease();
                    try
                    {
                        await LedgerSequence.RunAsync(db, scenario, stats);
                    }
                    finally
                    {
                        giveBack(db);
                    }
                },
                writeLine: s => output?.WriteLine(s), iter: sequences, print: s => s.ToString());
        }
        finally
        {
            watch.Stop();
            var report = stats.Report($"{database}: {sequences} sequences requested", watch.Elapsed);
            foreach (var line in report) output?.WriteLine(line);
            // Passing tests' output is not shown by the runner; TREUE_MODEL_REPORT names a file to append the figures to.
            if (Environment.GetEnvironmentVariable("TREUE_MODEL_REPORT") is { Length: > 0 } file)
                await File.AppendAllLinesAsync(file, report);
        }
    }
}

/// <summary>The model test on SQLite: each parallel worker gets its own database file, on a RAM-backed file system when there is one.</summary>
public sealed class LedgerModelTestsOnSqlite : IAsyncLifetime
{
    private readonly string _folder = Path.Combine(
        Environment.GetEnvironmentVariable("TREUE_MODEL_DB_FOLDER") is { Length: > 0 } configured ? configured
        : Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath(),
        "treue-model-" + Guid.NewGuid().ToString("N")[..10]);
    private readonly ConcurrentBag<ModelDatabase> _free = [];
    private readonly ConcurrentBag<ModelDatabase> _all = [];
    private readonly SemaphoreSlim _creating = new(1, 1);

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        foreach (var db in _all) await db.DisposeAsync();
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { }
        _creating.Dispose();
    }

    private async Task<ModelDatabase> LeaseAsync()
    {
        if (_free.TryTake(out var db)) return db;
        await _creating.WaitAsync();
        try
        {
            if (_free.TryTake(out db)) return db;
            db = await ModelDatabase.CreateSqliteAsync(Path.Combine(_folder, "db" + _all.Count.ToString(CultureInfo.InvariantCulture)));
            _all.Add(db);
            return db;
        }
        finally
        {
            _creating.Release();
        }
    }

    [Fact]
    public async Task Random_operation_sequences_keep_the_ledger_equal_to_the_model_and_its_invariants__replay_a_failure_with_env_CsCheck_Seed()
    {
        await LedgerModelRunner.RunAsync(LedgerModelRunner.Setting("TREUE_MODEL_SEQUENCES", 10_000), LeaseAsync, _free.Add, "sqlite in " + _folder);
    }
}

/// <summary>The model test on PostgreSQL: fewer sequences, all in one database (sequences never share a programme).</summary>
public sealed class LedgerModelTestsOnPostgres(PostgresCluster cluster) : IAsyncLifetime
{
    private ModelDatabase? _db;

    public async ValueTask InitializeAsync() => _db = await ModelDatabase.CreateAsync(await cluster.CreateDatabaseAsync(), null, "postgres");

    public async ValueTask DisposeAsync()
    {
        if (_db is not null) await _db.DisposeAsync();
    }

    [Fact]
    public async Task Random_operation_sequences_keep_the_ledger_equal_to_the_model_and_its_invariants__replay_a_failure_with_env_CsCheck_Seed()
    {
        await LedgerModelRunner.RunAsync(LedgerModelRunner.Setting("TREUE_MODEL_SEQUENCES_POSTGRES", 300), () => Task.FromResult(_db!), _ => { }, "postgres");
    }
}
