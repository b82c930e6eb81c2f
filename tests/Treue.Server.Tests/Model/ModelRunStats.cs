using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;

namespace Treue.Server.Tests.Model;

/// <summary>What one run of the model test did and where its time went: the coverage and speed figures it prints.</summary>
public sealed partial class ModelRunStats
{
    private readonly ConcurrentDictionary<string, int> _outcomes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _ticksByOp = new(StringComparer.Ordinal);
    private long _setUp, _operations, _checks, _steps, _sequences;

    public void AddSetUp(long ticks)
    {
        Interlocked.Add(ref _setUp, ticks);
        Interlocked.Increment(ref _sequences);
    }

    public void AddCheck(long ticks) => Interlocked.Add(ref _checks, ticks);

    public void AddOperation(Op op, string outcome, long ticks)
    {
        var name = op.GetType().Name.Replace("Op", "", StringComparison.Ordinal);
        // Numbers in outcomes ("earned 37") would make every line unique; the table tells zero from some.
        var kind = name + " " + Number().Replace(outcome, m => m.Value == "0" ? "0" : "n");
        _outcomes.AddOrUpdate(kind, 1, (_, n) => n + 1);
        _ticksByOp.AddOrUpdate(name, ticks, (_, t) => t + ticks);
        Interlocked.Add(ref _operations, ticks);
        Interlocked.Increment(ref _steps);
    }

    public List<string> Report(string title, TimeSpan elapsed)
    {
        static string S(long ticks) => ((double)ticks / Stopwatch.Frequency).ToString("F1", CultureInfo.InvariantCulture) + " s";
        var report = new List<string>
        {
            $"{title}: {_sequences} sequences started, {_steps} operations applied in {elapsed.TotalSeconds.ToString("F1", CultureInfo.InvariantCulture)} s " +
            $"(summed over parallel sequences: set-up {S(_setUp)}, operations {S(_operations)}, checks {S(_checks)})",
            "time per kind of operation: " + string.Join(", ", _ticksByOp.OrderBy(o => o.Key, StringComparer.Ordinal).Select(o => $"{o.Key} {S(o.Value)}")),
        };
        report.AddRange(_outcomes.OrderBy(o => o.Key, StringComparer.Ordinal).Select(o => $"  {o.Value,7}  {o.Key}"));
        return report;
    }

    [System.Text.RegularExpressions.GeneratedRegex("[0-9]+")]
    private static partial System.Text.RegularExpressions.Regex Number();
}
