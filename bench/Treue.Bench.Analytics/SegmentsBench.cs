using System.Diagnostics;
using Microsoft.Data.Sqlite;
using Treue.Analytics;
using Treue.Analytics.Segments;

namespace Treue.Bench.Analytics;

/// <summary>
/// ABC + RFM over a synthetic programme stored in SQLite, against SQL computing the same RFM scores in SQLite itself.
/// Both read the same table; Treue streams it into flat per-customer totals and scores in memory.
/// </summary>
internal static class SegmentsBench
{
    public static int Run(int members, int purchasesPerMember, int seed, string? keep)
    {
        var path = keep ?? Path.Combine(Path.GetTempPath(), $"treue-segments-{members}-{purchasesPerMember}-{seed}.db");
        var connection = $"Data Source={path};Pooling=False";
        var asOf = new DateOnly(2026, 6, 30);
        if (!File.Exists(path))
        {
            var made = Stopwatch.StartNew();
            var rows = Generate(connection, members, purchasesPerMember, seed, asOf);
            Console.WriteLine($"generated {rows:N0} purchases of {members:N0} members into {path} in {made.Elapsed.TotalSeconds:N1} s");
        }
        else
        {
            Console.WriteLine($"reusing {path}");
        }

        // Baseline: the same RFM scores as one SQL statement (rank among customers with a strictly worse value,
        // times 5, over the number of customers, plus 1: Treue's "same value, same score" rule).
        var sqlWatch = Stopwatch.StartNew();
        var sqlCells = new Dictionary<int, long>();
        using (var db = new SqliteConnection(connection))
        {
            db.Open();
            using var cmd = db.CreateCommand();
            cmd.CommandTimeout = 0;
            cmd.CommandText = """
                WITH t AS (SELECT member, MAX(day) AS last, COUNT(*) AS f, SUM(amount) AS m FROM purchases GROUP BY member),
                     s AS (SELECT 1 + (RANK() OVER (ORDER BY last) - 1) * 5 / COUNT(*) OVER () AS r,
                                  1 + (RANK() OVER (ORDER BY f) - 1) * 5 / COUNT(*) OVER () AS f,
                                  1 + (RANK() OVER (ORDER BY m) - 1) * 5 / COUNT(*) OVER () AS m FROM t)
                SELECT r * 100 + f * 10 + m, COUNT(*) FROM s GROUP BY 1
                """;
            using var reader = cmd.ExecuteReader();
            while (reader.Read()) sqlCells[reader.GetInt32(0)] = reader.GetInt64(1);
        }
        sqlWatch.Stop();

        GC.Collect();
        var before = GC.GetTotalAllocatedBytes(true);
        var treueWatch = Stopwatch.StartNew();
        CustomerTotals[] totals;
        using (var db = new SqliteConnection(connection))
        {
            db.Open();
            totals = CustomerTotalsAggregator.Aggregate(Stream(db), members);
        }
        var readMs = treueWatch.Elapsed.TotalMilliseconds;
        var abc = AbcAnalysis.Analyze(CustomerTotalsAggregator.Revenues(totals));
        var rfm = Rfm.Score(totals, asOf);
        treueWatch.Stop();
        var allocated = GC.GetTotalAllocatedBytes(true) - before;

        var treueCells = rfm.Scores.Where(s => s.IsScored).GroupBy(s => s.Code).ToDictionary(g => g.Key, g => (long)g.Count());
        var same = treueCells.Count == sqlCells.Count && treueCells.All(kv => sqlCells.GetValueOrDefault(kv.Key) == kv.Value);

        var treueS = treueWatch.Elapsed.TotalSeconds;
        var sqlS = sqlWatch.Elapsed.TotalSeconds;
        Console.WriteLine($"SQL RFM scores in SQLite (baseline):      {sqlS,8:N2} s");
        Console.WriteLine($"Treue ABC + RFM (stream, totals, score):  {treueS,8:N2} s   (read+aggregate {readMs / 1000:N2} s)   ratio {treueS / sqlS:N2} of the baseline   target <= 10 s: {(treueS <= 10 ? "met" : "NOT met")}");
        Console.WriteLine($"allocated during ABC + RFM: {allocated / 1e6:N0} MB for {members:N0} members; peak working set {Process.GetCurrentProcess().PeakWorkingSet64 / 1e6:N0} MB");
        Console.WriteLine($"scores identical to SQL: {(same ? "yes" : "NO")} ({treueCells.Count} R-F-M cells); Gini {abc.Gini:0.000}; " +
            string.Join(", ", abc.Summary.Select(c => $"{c.Class} {c.CustomerShare:P1} of customers")));
        if (keep is null) Console.WriteLine($"(the database stays at {path} for the next run; delete it to regenerate)");
        return same ? 0 : 1;
    }

    private static IEnumerable<PurchaseEvent> Stream(SqliteConnection db)
    {
        using var cmd = db.CreateCommand();
        // Rows are stored by member and day, so reading in rowid order keeps each member's purchases chronological.
        cmd.CommandText = "SELECT member, day, amount FROM purchases";
        using var reader = cmd.ExecuteReader();
        while (reader.Read())
            yield return new PurchaseEvent(reader.GetInt32(0), DateOnly.FromDayNumber(reader.GetInt32(1)), reader.GetInt64(2));
    }

    private static long Generate(string connection, int members, int perMember, int seed, DateOnly asOf)
    {
        using var db = new SqliteConnection(connection);
        db.Open();
        using (var pragma = db.CreateCommand())
        {
            pragma.CommandText = "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; CREATE TABLE purchases (member INTEGER NOT NULL, day INTEGER NOT NULL, amount INTEGER NOT NULL);";
            pragma.ExecuteNonQuery();
        }
        using var tx = db.BeginTransaction();
        using var insert = db.CreateCommand();
        insert.CommandText = "INSERT INTO purchases (member, day, amount) VALUES ($m, $d, $a)";
        var pm = insert.Parameters.Add("$m", SqliteType.Integer);
        var pd = insert.Parameters.Add("$d", SqliteType.Integer);
        var pa = insert.Parameters.Add("$a", SqliteType.Integer);
        insert.Prepare();
        var random = new Random(seed);
        var first = asOf.AddDays(-3 * 365).DayNumber;
        long rows = 0;
        for (var m = 0; m < members; m++)
        {
            // Purchase counts vary between members (1 to 2× the mean), spread over their own active span.
            var count = 1 + random.Next(2 * perMember - 1);
            var day = first + random.Next(2 * 365);
            var spend = 1_000 + random.Next(20_000);
            for (var k = 0; k < count && day <= asOf.DayNumber; k++)
            {
                pm.Value = m;
                pd.Value = day;
                pa.Value = spend / 2 + random.Next(spend);
                insert.ExecuteNonQuery();
                rows++;
                day += 1 + random.Next(60);
            }
        }
        tx.Commit();
        return rows;
    }
}
