using System.Diagnostics;
using MathNet.Numerics.Distributions;
using MathNet.Numerics.Optimization;
using Treue.Analytics;
using Treue.Analytics.Clv;
using MathVector = MathNet.Numerics.LinearAlgebra.Vector<double>;

namespace Treue.Bench.Analytics;

/// <summary>Lifetime-value benchmarks: the BG/NBD fit on CDNOW, and the whole pipeline on a synthetic base.</summary>
internal static class ClvBench
{
    /// <summary>
    /// The BG/NBD fit on the CDNOW sample summary, against two baselines from the same run: the time of as many
    /// plain per-customer log-likelihood passes as the fit made evaluations (what the fit would cost without
    /// grouping the x-only terms and without the cheaper gradient-free bookkeeping), and a Nelder-Mead search on that
    /// plain log-likelihood, which is how the model is commonly fitted.
    /// </summary>
    public static int BgNbdFit(string dataFolder, int runs)
    {
        var sample = CdnowFile.Read(Path.Combine(dataFolder, "cdnow", "CDNOW_sample.txt"));
        var customers = CalibrationSummary.Build(sample.Events, new DateOnly(1997, 9, 30)).Customers;
        Console.WriteLine($"CDNOW sample: {sample.Events.Length} purchases, {customers.Length} customers, calibration to 1997-09-30");

        ModelFit<BgNbdParameters> fit = default;
        for (var i = 0; i < 5; i++) fit = BgNbd.Fit(customers);
        var fitTimes = Repeat(runs, () => fit = BgNbd.Fit(customers));
        var p = fit.Parameters;
        Console.WriteLine($"  fit: r={p.R:F4} alpha={p.Alpha:F4} a={p.A:F4} b={p.B:F4} LL={fit.LogLikelihood:F2} ({fit.Evaluations} evaluations with gradient)");
        Console.WriteLine($"  published: r=0.243 alpha=4.414 a=0.793 b=2.426 LL=-9582.4");
        var fitMs = Median(fitTimes);
        Console.WriteLine($"  BG/NBD fit, median of {runs}: {fitMs:F2} ms (min {fitTimes.Min():F2}, max {fitTimes.Max():F2}); target <= 100 ms: {(fitMs <= 100 ? "met" : "MISSED")}");

        var ll = 0.0;
        var passTimes = Repeat(Math.Max(runs, 51), () => ll = BgNbd.LogLikelihood(p, customers));
        var passMs = Median(passTimes);
        var baselineMs = passMs * fit.Evaluations;
        Console.WriteLine($"  baseline 1: one plain log-likelihood pass {passMs:F3} ms x {fit.Evaluations} evaluations = {baselineMs:F2} ms (LL {ll:F2})");
        Console.WriteLine($"    fit / baseline 1: {fitMs / baselineMs:F2}");

        var nmEvaluations = 0;
        var nmLl = 0.0;
        var nmTimes = Repeat(3, () =>
        {
            nmEvaluations = 0;
            var objective = ObjectiveFunction.Value(v =>
            {
                nmEvaluations++;
                var q = new BgNbdParameters(Math.Exp(v[0]), Math.Exp(v[1]), Math.Exp(v[2]), Math.Exp(v[3]));
                var value = -BgNbd.LogLikelihood(q, customers);
                return double.IsFinite(value) ? value : double.MaxValue;
            });
            var result = new NelderMeadSimplex(1e-10, 10_000).FindMinimum(objective, MathVector.Build.Dense([0, 0, 0, 0]));
            nmLl = -result.FunctionInfoAtMinimum.Value;
        });
        var nmMs = Median(nmTimes);
        Console.WriteLine($"  baseline 2: Nelder-Mead on the plain log-likelihood, median of 3: {nmMs:F2} ms ({nmEvaluations} evaluations, LL {nmLl:F2})");
        Console.WriteLine($"    fit / baseline 2: {fitMs / nmMs:F3} ({nmMs / fitMs:F1}x faster)");
        return 0;
    }

    /// <summary>
    /// Summary, fits and scoring on a synthetic base of <paramref name="members"/> members with about ten purchases
    /// each, streamed from a seeded generator; the baseline is one pass over the same stream that only sums amounts.
    /// </summary>
    public static int Clv(int members, int seed)
    {
        var stream = new SyntheticStream(members, seed);
        Console.WriteLine($"Synthetic base: {members:N0} members, first purchases in {SyntheticStream.Start.Year}, calibration to {stream.CalibrationEnd:yyyy-MM-dd}, holdout to {stream.HoldoutEnd:yyyy-MM-dd}");
        Console.WriteLine($"  generating process: BG/NBD r={SyntheticStream.R} alpha={SyntheticStream.Alpha} a={SyntheticStream.A} b={SyntheticStream.B}; gamma-gamma p={SyntheticStream.P} q={SyntheticStream.Q} gamma={SyntheticStream.Gamma} (cents)");

        long total = 0, count = 0;
        var baseline = Time(() =>
        {
            foreach (var e in stream)
            {
                total += e.AmountMinor;
                count++;
            }
        });
        Console.WriteLine($"  baseline: one pass over the stream summing amounts: {baseline:F0} ms ({count:N0} purchases, {count / (double)members:F1} per member, {total / 100m:N2} total)");

        CalibrationSummary summary = null!;
        var summaryMs = Time(() =>
        {
            var builder = new CalibrationSummaryBuilder(stream.CalibrationEnd, stream.HoldoutEnd, members);
            foreach (var e in stream) builder.Add(e);
            summary = builder.Build();
        });
        var customers = summary.Customers;
        Console.WriteLine($"  summary build (same stream): {summaryMs:F0} ms, {customers.Length:N0} customers; / baseline: {summaryMs / baseline:F2}");

        ModelFit<BgNbdParameters> bg = default;
        ModelFit<GammaGammaParameters> gg = default;
        var bgMs = Time(() => bg = BgNbd.Fit(customers));
        var ggMs = Time(() => gg = GammaGamma.Fit(customers));
        var b = bg.Parameters;
        var g = gg.Parameters;
        Console.WriteLine($"  BG/NBD fit: {bgMs:F0} ms ({bg.Evaluations} evaluations): r={b.R:F3} alpha={b.Alpha:F3} a={b.A:F3} b={b.B:F3}");
        Console.WriteLine($"  gamma-gamma fit: {ggMs:F0} ms ({gg.Evaluations} evaluations, {gg.Customers:N0} repeat buyers): p={g.P:F3} q={g.Q:F3} gamma={g.Gamma:F1}");
        var fitMs = bgMs + ggMs;
        Console.WriteLine($"  fits together: {fitMs:F0} ms; / baseline: {fitMs / baseline:F2}; target <= 10 s: {(fitMs <= 10_000 ? "met" : "MISSED")}");

        var horizon = ClvHorizon.Months(12, 0.10);
        var scores = new MemberScore[customers.Length];
        ClvScoring.Score(b, g, horizon, customers.AsSpan(0, Math.Min(1000, customers.Length)), scores);
        var allocated = GC.GetAllocatedBytesForCurrentThread();
        var scoreMs = Time(() => ClvScoring.Score(b, g, horizon, customers, scores));
        allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;
        var clv = scores.Sum(s => s.Clv);
        Console.WriteLine($"  scoring every member (12 monthly periods, 10 %/year): {scoreMs:F0} ms, {allocated:N0} bytes allocated; / baseline: {scoreMs / baseline:F2}; target <= 5 s: {(scoreMs <= 5_000 ? "met" : "MISSED")}");
        Console.WriteLine($"    total 12-month CLV {clv / 100:N2}, mean P(alive) {scores.Average(s => s.ProbabilityAlive):F3}, mean expected purchases {scores.Average(s => s.ExpectedPurchases):F3}");
        var actual = customers.Sum(c => (long)c.HoldoutPurchases);
        var predicted = 0.0;
        var weeks = summary.HoldoutWeeks;
        foreach (var c in customers) predicted += b.ConditionalExpectedPurchases(weeks, c.X, c.Tx, c.T);
        Console.WriteLine($"    holdout check: {actual:N0} purchases in {weeks:F1} weeks, BG/NBD expected {predicted:N0} ({predicted / actual - 1:P1})");
        return 0;
    }

    private static double Time(Action action)
    {
        var watch = Stopwatch.StartNew();
        action();
        return watch.Elapsed.TotalMilliseconds;
    }

    private static double[] Repeat(int runs, Action action)
    {
        var times = new double[runs];
        for (var i = 0; i < runs; i++) times[i] = Time(action);
        return times;
    }

    private static double Median(double[] values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}

/// <summary>
/// A seeded, repeatable purchase stream drawn from the BG/NBD and gamma-gamma processes, generated member by member
/// as it is read: nothing per member is held.
/// </summary>
internal sealed class SyntheticStream(int members, int seed) : IEnumerable<PurchaseEvent>
{
    public static readonly DateOnly Start = new(2024, 1, 1);
    public const double R = 1.5, Alpha = 6, A = 1.2, B = 12;
    public const double P = 6, Q = 4, Gamma = 1500;
    private const int Days = 2 * 365;

    public DateOnly CalibrationEnd => Start.AddDays(Days * 3 / 4 - 1);
    public DateOnly HoldoutEnd => Start.AddDays(Days - 1);

    public IEnumerator<PurchaseEvent> GetEnumerator()
    {
        var random = new Random(seed);
        for (var m = 0; m < members; m++)
        {
            var lambda = MathNet.Numerics.Distributions.Gamma.Sample(random, R, Alpha);
            var dropout = Beta.Sample(random, A, B);
            var nu = MathNet.Numerics.Distributions.Gamma.Sample(random, Q, Gamma);
            // Members join over the first half year, like a programme's first cohort.
            var week = random.NextDouble() * 26;
            for (var purchase = 0; ; purchase++)
            {
                var day = (int)(week * 7);
                if (day >= Days) break;
                var amount = Math.Max(1, (long)Math.Round(MathNet.Numerics.Distributions.Gamma.Sample(random, P, nu)));
                yield return new PurchaseEvent(m, Start.AddDays(day), amount);
                // BG/NBD: a member may drop out after each repeat purchase, never right after the first.
                if (purchase > 0 && random.NextDouble() < dropout) break;
                week += Exponential.Sample(random, lambda);
            }
        }
    }

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}
