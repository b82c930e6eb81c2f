using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using Microsoft.OpenApi;

namespace Treue.Server.Infrastructure;

/// <summary>The error responses an endpoint can give beyond those every endpoint of its kind gives, with their codes.</summary>
public sealed record ProblemResponse(int Status, IReadOnlyList<string> Codes);

/// <summary>
/// Makes the OpenAPI document a contract a client generator can trust: every operation has an operationId, a
/// description, its roles and security, its error responses as <c>application/problem+json</c> with one shared
/// problem schema, and the <c>Idempotency-Key</c> header where the server honours it; schemas say which members can be
/// missing from a response.
/// </summary>
public static class OpenApiContract
{
    public const string ProblemSchema = "ProblemDetails";
    public const string BearerScheme = "apiKey";
    public const string HeaderScheme = "xApiKey";
    public const string IdempotencyKeyParameter = "IdempotencyKey";
    public const string ReplayedHeader = "IdempotentReplayed";
    public const string ProblemMediaType = "application/problem+json";

    /// <summary>Adds the <c>v1</c> document. <paramref name="configure"/> adds further transformers (e.g. <c>servers</c>).</summary>
    public static IServiceCollection AddTreueOpenApi(this IServiceCollection services, Action<OpenApiOptions>? configure = null) =>
        services.AddOpenApi(o =>
        {
            o.AddSchemaTransformer(LeaveOmittedMembersOptional);
            o.AddOperationTransformer(DescribeOperation);
            o.AddDocumentTransformer(DescribeDocument);
            configure?.Invoke(o);
            o.AddDocumentTransformer(NormaliseServers);
        });

    /// <summary>Declares an error response of an endpoint with the codes it can carry (the status comes first).</summary>
    public static TBuilder Refuses<TBuilder>(this TBuilder builder, int status, params string[] codes) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new ProblemResponse(status, codes));

    private static Task DescribeDocument(OpenApiDocument doc, OpenApiDocumentTransformerContext context, CancellationToken ct)
    {
        doc.Info.Title = "Treue API";
        doc.Info.Description = "Customer loyalty: programmes, members, cards, purchases, the points ledger and rewards. " +
            "Authenticate with 'Authorization: Bearer <api key>' (or 'X-Api-Key: <api key>'); each operation names the roles it allows. " +
            "Errors are RFC 9457 problem documents (application/problem+json) with a stable 'code'. " +
            "State-changing operations honour an Idempotency-Key header.";
        doc.Info.Contact ??= new OpenApiContact { Name = "Treue" };
        doc.Components ??= new OpenApiComponents();
        doc.Components.SecuritySchemes = new Dictionary<string, IOpenApiSecurityScheme>
        {
            [BearerScheme] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http, Scheme = "bearer",
                Description = "An API key of the programme (trk_...), role admin or pos: 'Authorization: Bearer trk_...'.",
            },
            [HeaderScheme] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.ApiKey, In = ParameterLocation.Header, Name = "X-Api-Key",
                Description = "The same API key in the X-Api-Key header, for clients that cannot set Authorization.",
            },
        };
        doc.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>();
        doc.Components.Schemas[ProblemSchema] = Problem();
        doc.Components.Parameters ??= new Dictionary<string, IOpenApiParameter>();
        doc.Components.Parameters[IdempotencyKeyParameter] = new OpenApiParameter
        {
            Name = IdempotencyMiddleware.Header, In = ParameterLocation.Header, Required = false,
            Description = "Makes a retry safe: a request repeated with the same key and the same body gets the first response again " +
                "(with Idempotent-Replayed: true) and changes nothing. Keys are kept for at least 24 hours, per API key.",
            Schema = new OpenApiSchema { Type = JsonSchemaType.String, MinLength = 1, MaxLength = 255 },
        };
        doc.Components.Headers ??= new Dictionary<string, IOpenApiHeader>();
        doc.Components.Headers[ReplayedHeader] = new OpenApiHeader
        {
            Description = "'true' when this is the stored response of an earlier request with the same Idempotency-Key.",
            Schema = new OpenApiSchema { Type = JsonSchemaType.String, Enum = [JsonValue.Create("true")] },
        };
        // Security is stated per operation: the health endpoints need none.
        doc.Security = null;
        return Task.CompletedTask;
    }

    private static OpenApiSchema Problem()
    {
        var codes = string.Join(", ", Problems.Codes.Select(c => $"{c.Key} ({c.Value})"));
        var codeTable = new JsonObject();
        foreach (var (code, status) in Problems.Codes) codeTable[code] = status;
        static OpenApiSchema Text(string description) => new() { Type = JsonSchemaType.String, Description = description };
        return new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Description = "An RFC 9457 problem document. Program against 'code'; 'title' and 'detail' are for people and may change.",
            Required = new HashSet<string> { "type", "title", "status", "detail", "code" },
            Properties = new Dictionary<string, IOpenApiSchema>
            {
                ["type"] = Text("urn:treue:problem: followed by the code with '-' instead of '_'."),
                ["title"] = Text("A short summary of the problem."),
                ["status"] = new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int32", Description = "The HTTP status." },
                ["detail"] = Text("What went wrong with this request."),
                ["instance"] = Text("The request the problem occurred in."),
                ["code"] = new OpenApiSchema
                {
                    Type = JsonSchemaType.String,
                    Description = "The stable, machine-readable error code with its HTTP status: " + codes +
                        ". Any other status of the HTTP stack comes as http_{status}; any other code of a refused business rule comes with 422.",
                    Extensions = new Dictionary<string, IOpenApiExtension> { ["x-error-codes"] = new JsonNodeExtension(codeTable) },
                },
                ["field"] = Text("The request field at fault: a JSON path of the body, a path or query parameter, a header, or 'body'."),
                ["errors"] = new OpenApiSchema
                {
                    Type = JsonSchemaType.Object, Description = "Every invalid field with its messages.",
                    AdditionalProperties = new OpenApiSchema { Type = JsonSchemaType.Array, Items = new OpenApiSchema { Type = JsonSchemaType.String } },
                },
                ["traceId"] = Text("The request's trace id, to find it in the server's log."),
            },
        };
    }

    private static Task DescribeOperation(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken ct)
    {
        var api = context.Description;
        var metadata = api.ActionDescriptor.EndpointMetadata;
        var method = api.HttpMethod ?? "GET";
        var roles = Roles(metadata);
        var secured = roles is not null;
        var idempotent = secured && IdempotencyMiddleware.Honours(method, metadata.OfType<WritesNothing>().Any());

        var text = new List<string> { (operation.Description ?? operation.Summary ?? "").TrimEnd('.') + "." };
        operation.Extensions ??= new Dictionary<string, IOpenApiExtension>();
        if (secured)
        {
            text.Add($"Roles: {string.Join(" or ", roles!)}.");
            operation.Extensions["x-roles"] = new JsonNodeExtension(new JsonArray([.. roles!.Select(r => JsonValue.Create(r))]));
            operation.Security =
            [
                new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(BearerScheme, context.Document)] = [] },
                new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(HeaderScheme, context.Document)] = [] },
            ];
        }
        else
        {
            text.Add("No API key is needed.");
            operation.Security = [];
        }
        if (idempotent)
        {
            text.Add("Send an Idempotency-Key header to make a retry safe.");
            operation.Parameters ??= [];
            operation.Parameters.Add(new OpenApiParameterReference(IdempotencyKeyParameter, context.Document));
        }
        operation.Description = string.Join(" ", text);

        // The error responses: those of the endpoint's kind, then those the endpoint declares.
        var problems = new SortedDictionary<int, List<string>>();
        void Add(int status, params string[] codes)
        {
            if (!problems.TryGetValue(status, out var list)) problems[status] = list = [];
            foreach (var c in codes) if (!list.Contains(c)) list.Add(c);
        }
        var hasBody = operation.RequestBody is not null;
        var hasQuery = api.ParameterDescriptions.Any(p => p.Source == Microsoft.AspNetCore.Mvc.ModelBinding.BindingSource.Query);
        if (hasBody || hasQuery || idempotent)
        {
            Add(400, "validation_failed");
            if (hasBody) Add(400, "malformed_json");
            if (api.ParameterDescriptions.Any(p => p.Name == "cursor")) Add(400, "invalid_cursor");
        }
        if (secured)
        {
            Add(401, "unauthorized");
            if (!roles!.Contains(Policies.Pos)) Add(403, "forbidden");
        }
        if (idempotent)
        {
            Add(409, "idempotency_key_in_use");
            Add(422, "idempotency_key_reused");
        }
        foreach (var declared in metadata.OfType<ProblemResponse>()) Add(declared.Status, [.. declared.Codes]);
        if (RateLimited(metadata, secured, context.ApplicationServices)) Add(429);

        operation.Responses ??= [];
        foreach (var (status, codes) in problems)
            operation.Responses[status.ToString(System.Globalization.CultureInfo.InvariantCulture)] = ProblemResponseOf(status, codes, context.Document);
        operation.Responses["default"] = ProblemResponseOf(0,
            ["payload_too_large", "unsupported_media_type", "headers_too_large", "internal_error", "database_unavailable", "contended"], context.Document);

        if (idempotent)
        {
            // A replay repeats whatever the first request was answered, a refusal as much as a success.
            foreach (var (status, response) in operation.Responses)
            {
                if (status is "401" or "429" or "default" || response is not OpenApiResponse r) continue;
                r.Headers ??= new Dictionary<string, IOpenApiHeader>();
                r.Headers[IdempotencyMiddleware.ReplayedHeader] = new OpenApiHeaderReference(ReplayedHeader, context.Document);
            }
        }
        return Task.CompletedTask;
    }

    private static OpenApiResponse ProblemResponseOf(int status, List<string> codes, OpenApiDocument? document)
    {
        var what = status switch
        {
            0 => "Any other problem",
            400 => "The request is not valid",
            401 => "No valid API key",
            403 => "The API key's role or partner may not do this",
            404 => "Not found in this programme",
            409 => "Conflicts with the current state",
            422 => "Refused by a business rule",
            429 => "Too many requests; retry after the Retry-After header's seconds",
            503 => "Unavailable for the moment; retry",
            _ => "Refused",
        };
        var response = new OpenApiResponse
        {
            Description = codes.Count == 0 ? what + "." : $"{what}: {string.Join(", ", codes)}.",
            Content = new Dictionary<string, OpenApiMediaType>
            {
                [ProblemMediaType] = new OpenApiMediaType { Schema = new OpenApiSchemaReference(ProblemSchema, document) },
            },
            Extensions = new Dictionary<string, IOpenApiExtension>
            {
                ["x-problem-codes"] = new JsonNodeExtension(new JsonArray([.. codes.Select(c => JsonValue.Create(c))])),
            },
        };
        if (status == 429)
        {
            response.Headers = new Dictionary<string, IOpenApiHeader>
            {
                ["Retry-After"] = new OpenApiHeader
                {
                    Description = "Seconds to wait before the next request.",
                    Schema = new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int32" },
                },
            };
        }
        return response;
    }

    /// <summary>The roles that may call an endpoint, or null when it needs no API key. Every policy must be met.</summary>
    private static IReadOnlyList<string>? Roles(IList<object> metadata)
    {
        if (metadata.OfType<IAllowAnonymous>().Any()) return null;
        var policies = metadata.OfType<IAuthorizeData>().ToList();
        if (policies.Count == 0) return null;
        IEnumerable<string> roles = [Policies.Admin, Policies.Pos];
        foreach (var p in policies)
        {
            // admin may do everything pos may.
            string[] allowed = p.Policy is Policies.Admin or Policies.KeyAdmin ? [Policies.Admin] : [Policies.Admin, Policies.Pos];
            roles = roles.Intersect(allowed);
        }
        return [.. roles];
    }

    private static bool RateLimited(IList<object> metadata, bool secured, IServiceProvider services)
    {
        if (metadata.OfType<DisableRateLimitingAttribute>().Any()) return false;
        if (metadata.OfType<EnableRateLimitingAttribute>().Any()) return true;
        return secured && services.GetService<IOptions<RateLimiterOptions>>()?.Value.GlobalLimiter is not null;
    }

    /// <summary>
    /// Responses leave out members that are null (see <c>TreueJson</c>), so a member that can be null is never
    /// required: a client generator would otherwise reject a valid response.
    /// </summary>
    private static Task LeaveOmittedMembersOptional(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken ct)
    {
        var type = context.JsonTypeInfo;
        // A type's schema is also met as the schema of a property of that type (JsonPropertyInfo set), which is where
        // types that only appear nested are built.
        if (type.Kind != JsonTypeInfoKind.Object || schema.Required is not { Count: > 0 } required) return Task.CompletedTask;
        if (type.Options.DefaultIgnoreCondition is not (JsonIgnoreCondition.WhenWritingNull or JsonIgnoreCondition.WhenWritingDefault)) return Task.CompletedTask;
        foreach (var property in type.Properties)
        {
            var nullable = property.IsGetNullable || Nullable.GetUnderlyingType(property.PropertyType) is not null;
            if (nullable) required.Remove(property.Name);
        }
        return Task.CompletedTask;
    }

    /// <summary>Server URLs without a trailing slash, so that paths join them cleanly.</summary>
    private static Task NormaliseServers(OpenApiDocument doc, OpenApiDocumentTransformerContext context, CancellationToken ct)
    {
        foreach (var server in doc.Servers ?? [])
            if (server.Url is { Length: > 1 } url && url.EndsWith('/')) server.Url = url.TrimEnd('/');
        return Task.CompletedTask;
    }
}
