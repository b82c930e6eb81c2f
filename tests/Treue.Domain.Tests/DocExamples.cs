using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;

namespace Treue.Domain.Tests;

/// <summary>The JSON examples of a page in <c>docs/</c>, read as a programme document reads them.</summary>
public static partial class DocExamples
{
    /// <summary>The programme document's JSON: web defaults, enums as camelCase strings, and no unknown fields.</summary>
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase, allowIntegerValues: false) },
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    [GeneratedRegex("```json\\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex JsonBlock();

    /// <summary>The text of every <c>```json</c> block of <c>docs/<paramref name="page"/></c>, in page order.</summary>
    public static List<string> Of(string page)
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Treue.slnx"))) dir = dir.Parent;
        var text = File.ReadAllText(Path.Combine(dir?.FullName ?? throw new DirectoryNotFoundException("Treue.slnx not found"), "docs", page));
        return JsonBlock().Matches(text).Select(m => m.Groups[1].Value).ToList();
    }
}
