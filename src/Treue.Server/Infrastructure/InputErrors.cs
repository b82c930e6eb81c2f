using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Treue.Server.Infrastructure;

/// <summary>
/// Problem responses for requests the framework could not read: JSON that does not fit the request, and parameters
/// that could not be bound. The framework's messages name .NET types (<c>Treue.Server.Features...PurchaseRequest</c>,
/// <c>System.Decimal</c>); a client knows only the JSON, so the answer names the JSON field and what it must be.
/// </summary>
public static class InputErrors
{
    /// <summary>A 400 <c>malformed_json</c> naming the field of the body at fault.</summary>
    public static ProblemHttpResult Json(JsonException e)
    {
        var message = e.Message;
        var field = FieldOf(e);
        string detail;
        if (message.Contains("missing required properties", StringComparison.Ordinal))
        {
            var at = message.IndexOf("including:", StringComparison.Ordinal);
            field = Join(field, at < 0 ? null : FirstQuoted(message[at..]));
            detail = "is required";
        }
        else if (message.Contains("could not be mapped to any .NET member", StringComparison.Ordinal))
        {
            field = Join(field, FirstQuoted(message));
            detail = "is not a field of this request";
        }
        else if (message.Contains("uplicate propert", StringComparison.Ordinal))
        {
            field = Join(field, FirstQuoted(message));
            detail = "is given more than once";
        }
        else if (message.Contains("doesn't allow", StringComparison.Ordinal) && message.Contains("null", StringComparison.Ordinal))
        {
            field = Join(field, FirstQuoted(message));
            detail = "must not be null";
        }
        else if (message.IndexOf("could not be converted to ", StringComparison.Ordinal) is var i and >= 0)
        {
            var type = message[(i + "could not be converted to ".Length)..];
            var end = type.IndexOf(". Path:", StringComparison.Ordinal);
            detail = Expected(ValueType(end < 0 ? type.TrimEnd('.') : type[..end], field));
        }
        else
        {
            detail = Plain(FirstSentence(message)) ?? "is not valid JSON for this request";
        }
        return Problems.Problem("malformed_json", field == "body" ? "The body " + detail + "." : detail, field, 400);
    }

    /// <summary>A 4xx problem for a request the framework refused before the endpoint ran.</summary>
    public static ProblemHttpResult BadRequest(BadHttpRequestException bad)
    {
        var message = bad.Message;
        // "Failed to bind parameter "int? limit" from "abc"."
        if (message.StartsWith("Failed to bind parameter", StringComparison.Ordinal) && Parameter(message) is var (type, name))
            return Problems.Problem("validation_failed", Expected(type), name, 400);
        // "Required parameter "PurchaseRequest req" was not provided from body." / "Implicit body inferred for parameter ..."
        if (message.Contains("Implicit body", StringComparison.Ordinal)
            || (message.StartsWith("Required parameter", StringComparison.Ordinal) && message.Contains("from body", StringComparison.Ordinal)))
            return Problems.Problem("validation_failed", "A JSON body is required.", "body", 400);
        if (message.StartsWith("Required parameter", StringComparison.Ordinal) && Parameter(message) is var (_, required))
            return Problems.Problem("validation_failed", "is required", required, 400);
        return Problems.Problem("bad_request", Plain(message) ?? "The request could not be read.",
            status: bad.StatusCode is >= 400 and < 500 ? bad.StatusCode : 400);
    }

    /// <summary>What a value of a .NET type looks like to a client, as a refusal text.</summary>
    private static string Expected(string typeName)
    {
        var t = typeName.Trim().TrimEnd('?');
        if (t.StartsWith("System.Nullable`1[", StringComparison.Ordinal)) t = t["System.Nullable`1[".Length..].TrimEnd(']');
        var simple = t[(t.LastIndexOf('.') + 1)..];
        if (t.Contains('`', StringComparison.Ordinal) || t.EndsWith("[]", StringComparison.Ordinal)) return "must be a JSON array";
        return simple.ToLowerInvariant() switch
        {
            "int" or "int32" or "long" or "int64" or "short" or "int16" or "byte" => "must be a whole number within range, written as a JSON number",
            "decimal" or "double" or "float" or "single" => "must be a number within range, written as a JSON number",
            "bool" or "boolean" => "must be true or false",
            "string" => "must be a JSON string",
            "guid" => "must be an id (a UUID)",
            "dateonly" => "must be a date (YYYY-MM-DD)",
            "datetime" or "datetimeoffset" => "must be a date and time in ISO 8601 (2026-05-01T10:00:00Z)",
            _ when EnumNames(t) is { } names => "must be one of " + names,
            _ => "must be a JSON object",
        };
    }

    /// <summary>
    /// The type the value at <paramref name="field"/> must have. For a value given to a record's constructor the
    /// serializer names the record, not the member; the member's own type is what the client needs to hear.
    /// </summary>
    private static string ValueType(string typeName, string field)
    {
        if (TreueType(typeName) is not { IsEnum: false } type || field == "body") return typeName;
        var name = field[(field.LastIndexOf('.') + 1)..];
        if (name.IndexOf('[', StringComparison.Ordinal) is var bracket and >= 0) name = name[..bracket];
        var member = type.GetProperty(name, System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.IgnoreCase);
        if (member is null) return typeName;
        var valueType = Nullable.GetUnderlyingType(member.PropertyType) ?? member.PropertyType;
        return valueType.FullName ?? typeName;
    }

    private static Type? TreueType(string fullName) => AppDomain.CurrentDomain.GetAssemblies()
        .Where(a => a.GetName().Name?.StartsWith("Treue", StringComparison.Ordinal) == true)
        .Select(a => a.GetType(fullName, throwOnError: false))
        .FirstOrDefault(t => t is not null);

    /// <summary>The camelCase names of an enum of Treue's, or null when the type is not one.</summary>
    private static string? EnumNames(string fullName)
    {
        var type = TreueType(fullName);
        if (type is not { IsEnum: true }) return null;
        return string.Join(", ", Enum.GetNames(type).Select(n => char.ToLowerInvariant(n[0]) + n[1..]));
    }

    private static (string Type, string Name)? Parameter(string message)
    {
        var start = message.IndexOf('"');
        var end = start < 0 ? -1 : message.IndexOf('"', start + 1);
        if (end < 0) return null;
        var inner = message[(start + 1)..end];
        var space = inner.LastIndexOf(' ');
        return space < 0 ? ("", inner) : (inner[..space], inner[(space + 1)..]);
    }

    private static string FieldOf(JsonException e)
    {
        var path = e.Path;
        if (string.IsNullOrEmpty(path) || path == "$") return "body";
        return path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path.TrimStart('$');
    }

    private static string Join(string field, string? name)
    {
        if (string.IsNullOrEmpty(name)) return field;
        if (field == "body") return name;
        return field == name || field.EndsWith("." + name, StringComparison.Ordinal) ? field : field + "." + name;
    }

    private static string? FirstQuoted(string text)
    {
        var start = text.IndexOf('\'');
        var end = start < 0 ? -1 : text.IndexOf('\'', start + 1);
        return end < 0 ? null : text[(start + 1)..end];
    }

    private static string FirstSentence(string message)
    {
        var i = message.IndexOf(" Path:", StringComparison.Ordinal);
        return i > 0 ? message[..i] : message;
    }

    /// <summary>The message when it names no .NET type or namespace, else null.</summary>
    private static string? Plain(string message) =>
        message.Contains("System.", StringComparison.Ordinal) || message.Contains("Treue.", StringComparison.Ordinal)
        || message.Contains("Microsoft.", StringComparison.Ordinal) || message.Contains(".NET", StringComparison.Ordinal)
            ? null
            : message;
}
