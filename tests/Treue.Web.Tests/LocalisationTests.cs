using System.Reflection;
using System.Text.RegularExpressions;
using Treue.Server.Web.Shared;

namespace Treue.Web.Tests;

public sealed partial class LocalisationTests
{
    [GeneratedRegex(@"L(?:\[""|\.Format\("")((?:[^""\\]|\\.)+)""")]
    private static partial Regex Text();

    private static IReadOnlyDictionary<string, string> German() =>
        (IReadOnlyDictionary<string, string>)typeof(Loc).GetField("German", BindingFlags.NonPublic | BindingFlags.Static)!.GetValue(null)!;

    [Fact]
    public void Every_text_of_the_analytics_pages_has_a_German_translation()
    {
        var folder = Path.Combine(Infrastructure.WebServer.RepositoryRoot(), "src", "Treue.Server", "Web");
        var files = Directory.GetFiles(Path.Combine(folder, "Admin", "Analytics"), "*.razor").Append(Path.Combine(folder, "Shared", "AdminNav.razor"))
            .Append(Path.Combine(folder, "Admin", "AuditPage.razor")).Append(Path.Combine(folder, "Admin", "StaffPage.razor")).ToList();
        Assert.True(files.Count >= 6);
        var german = German();
        var missing = files.SelectMany(f => Text().Matches(File.ReadAllText(f)).Select(m => m.Groups[1].Value.Replace(@"\\", @"\", StringComparison.Ordinal)))
            .Distinct().Where(t => !german.ContainsKey(t)).Order(StringComparer.Ordinal).ToList();
        Assert.True(missing.Count == 0, "No German text for: " + string.Join(" | ", missing));
    }

    [Fact]
    public void The_segment_names_have_German_translations()
    {
        var german = German();
        foreach (var segment in Enum.GetValues<Treue.Analytics.Segments.RfmSegment>())
            Assert.True(german.ContainsKey(Treue.Server.Web.Admin.Analytics.Charts.SegmentName(segment)), segment.ToString());
    }
}
