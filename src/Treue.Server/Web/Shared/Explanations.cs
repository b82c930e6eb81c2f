using System.Text.RegularExpressions;
using Treue.Domain.Earning;

namespace Treue.Server.Web.Shared;

/// <summary>The explanation of a ledger entry as people read it: one line per rule ("2× points on Saturdays: +120").</summary>
public static partial class Explanations
{
    /// <summary>Adds up a rule's contributions over the lines of a receipt, in the order the rules first appear.</summary>
    public static IReadOnlyList<(string Name, long Points)> ByRule(IEnumerable<Contribution> contributions) =>
        contributions.GroupBy(c => c.Rule).Select(g => (LineSuffix().Replace(g.First().Name, ""), g.Sum(c => c.Points))).ToList();

    public static string Text(IEnumerable<Contribution> contributions) =>
        string.Join("; ", ByRule(contributions).Select(x => $"{x.Name}: {Loc.SignedPoints(x.Points)}"));

    [GeneratedRegex(@" \(line \d+\)$")]
    private static partial Regex LineSuffix();
}
