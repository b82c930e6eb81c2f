using System.Text.RegularExpressions;

namespace Treue.Cli.Tests.Infrastructure;

/// <summary>Reads figures from the summary table that <c>treue import</c> prints.</summary>
public static class Report
{
    /// <summary>The count in the row labelled <paramref name="label"/> (thousands separators of any culture).</summary>
    public static int Count(CliRun run, string label)
    {
        var match = Regex.Match(run.Out, Regex.Escape(label) + @"[^\w\d]+(\d[\d,.' \u00a0\u202f]*)");
        Assert.True(match.Success, $"No '{label}' row in the report: {run}");
        return int.Parse(new string([.. match.Groups[1].Value.Where(char.IsAsciiDigit)]));
    }
}
