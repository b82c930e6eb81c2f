using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;

namespace Treue.Server.Tests.Infrastructure;

/// <summary>
/// The server's own OpenAPI document, used as a contract: a real response must be a documented status of its
/// operation, with a documented media type, and its body must validate against the published schema (JSON Schema
/// 2020-12, as OpenAPI 3.1 says).
/// </summary>
public sealed class PublishedSchemas(JsonObject document)
{
    public JsonObject Document { get; } = document;

    public static async Task<PublishedSchemas> FetchAsync(HttpClient client)
    {
        var res = await client.GetAsync("/openapi/v1.json");
        await TestProgramme.Expect(res, System.Net.HttpStatusCode.OK);
        return new PublishedSchemas(JsonNode.Parse(await res.Content.ReadAsStringAsync())!.AsObject());
    }

    /// <summary>Every operation as (path, method, operation).</summary>
    public IEnumerable<(string Path, string Method, JsonObject Operation)> Operations() =>
        from path in Document["paths"]!.AsObject()
        from op in path.Value!.AsObject()
        where op.Key is "get" or "put" or "post" or "patch" or "delete"
        select (path.Key, op.Key, op.Value!.AsObject());

    /// <summary>Asserts that <paramref name="res"/> is what operation <paramref name="method"/> <paramref name="path"/> publishes; returns the body.</summary>
    public async Task<JsonNode?> AssertConformsAsync(HttpResponseMessage res, string method, string path)
    {
        var operation = Document["paths"]?[path]?[method] as JsonObject;
        Assert.True(operation is not null, $"{method.ToUpperInvariant()} {path} is not in the OpenAPI document");
        var status = ((int)res.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var responses = operation["responses"]!.AsObject();
        var response = responses[status] ?? responses["default"];
        Assert.True(response is not null, $"{method.ToUpperInvariant()} {path} answered {status}, which it does not document ({string.Join(", ", responses.Select(r => r.Key))})");
        var text = await res.Content.ReadAsStringAsync();
        var mediaType = res.Content.Headers.ContentType?.MediaType;
        var content = response["content"] as JsonObject;
        if (string.IsNullOrEmpty(text) && content is null) return null;
        Assert.True(mediaType is not null && content?[mediaType] is not null,
            $"{method.ToUpperInvariant()} {path} answered {status} as {mediaType}; documented: {string.Join(", ", content?.Select(c => c.Key) ?? [])}");
        var schema = content![mediaType!]!["schema"];
        Assert.True(schema is not null, $"{method.ToUpperInvariant()} {path} {status} {mediaType} has no schema");
        using var body = JsonDocument.Parse(text);
        var errors = Validate(schema, body.RootElement);
        Assert.True(errors.Count == 0,
            $"{method.ToUpperInvariant()} {path} {status}: the response does not match its published schema:\n  {string.Join("\n  ", errors)}\nbody: {Shorten(text)}");
        return JsonNode.Parse(text);
    }

    /// <summary>The validation errors of <paramref name="instance"/> against an OpenAPI schema of this document (empty when valid).</summary>
    public List<string> Validate(JsonNode schema, JsonElement instance)
    {
        // The component schemas become $defs of one schema resource, so that their $refs resolve inside it.
        var root = new JsonObject
        {
            ["$schema"] = "https://json-schema.org/draft/2020-12/schema",
            ["$id"] = "urn:treue:openapi-test",
            ["$defs"] = Document["components"]?["schemas"]?.DeepClone() ?? new JsonObject(),
            ["allOf"] = new JsonArray(schema.DeepClone()),
        };
        var json = root.ToJsonString().Replace("\"#/components/schemas/", "\"#/$defs/", StringComparison.Ordinal);
        var built = JsonSchema.FromText(json, new BuildOptions { SchemaRegistry = new SchemaRegistry() });
        var result = built.Evaluate(instance, new EvaluationOptions { OutputFormat = OutputFormat.List });
        if (result.IsValid) return [];
        return [.. (result.Details ?? []).Where(d => d.Errors is { Count: > 0 })
            .SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation} ({d.EvaluationPath}): {e.Key}: {e.Value}"))];
    }

    private static string Shorten(string text) => text.Length <= 2000 ? text : text[..2000] + "...";
}
