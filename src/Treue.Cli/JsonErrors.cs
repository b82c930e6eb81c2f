using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Treue.Cli;

/// <summary>Turns a JSON reading error into one line that names where in the file it is.</summary>
internal static partial class JsonErrors
{
    public static string Describe(JsonException e)
    {
        var message = e.Message;
        var cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        if (cut > 0) message = message[..cut];
        message = TypeName().Replace(message, "'$1'");
        var where = string.IsNullOrEmpty(e.Path) ? "" : $" at {e.Path}";
        var position = e.LineNumber is { } line ? $" (line {line + 1}, column {(e.BytePositionInLine ?? 0) + 1})" : "";
        return $"invalid JSON{where}{position}: {message}";
    }

    /// <summary>A full .NET type name in a message; the user knows the document by its short name.</summary>
    [GeneratedRegex(@"'(?:[A-Za-z_][A-Za-z0-9_]*\.)+([A-Za-z_][A-Za-z0-9_`]*)'")]
    private static partial Regex TypeName();
}

/// <summary>The field errors of a problem response, in the order the server found them.</summary>
internal static class FieldErrors
{
    public static IEnumerable<(string Field, string Message)> Of(ProblemHttpResult problem)
    {
        var details = problem.ProblemDetails;
        if (details.Extensions.TryGetValue("errors", out var errors) && errors is IEnumerable<KeyValuePair<string, string[]>> byField)
        {
            foreach (var (field, messages) in byField)
            {
                foreach (var message in messages) yield return (field, message);
            }
            yield break;
        }
        var named = details.Extensions.TryGetValue("field", out var f) ? f as string : null;
        yield return (named ?? "", details.Detail ?? details.Title ?? "refused");
    }
}
