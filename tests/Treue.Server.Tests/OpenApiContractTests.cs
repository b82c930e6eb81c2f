using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Treue.Server.Tests.Infrastructure;

namespace Treue.Server.Tests;

/// <summary>The OpenAPI document is a contract: real responses match it, and it says what a client needs to know.</summary>
public abstract partial class OpenApiContractTests(TreueServer server)
{
    [Fact]
    public async Task Real_responses_of_the_main_endpoints_match_the_published_schemas()
    {
        var contract = await PublishedSchemas.FetchAsync(server.Client(null));
        var p = await server.NewProgrammeAsync();
        async Task<JsonNode?> Check(Task<HttpResponseMessage> call, string method, string path, HttpStatusCode expected)
        {
            var res = await call;
            await TestProgramme.Expect(res, expected);
            return await contract.AssertConformsAsync(res, method, path);
        }

        await Check(p.Pos.GetAsync("/api/v1/programme"), "get", "/api/v1/programme", HttpStatusCode.OK);
        await Check(server.Client(null).GetAsync("/health"), "get", "/health", HttpStatusCode.OK);
        await Check(server.Client(null).GetAsync("/health/live"), "get", "/health/live", HttpStatusCode.OK);
        await Check(p.Pos.GetAsync("/api/v1/rewards"), "get", "/api/v1/rewards", HttpStatusCode.OK);

        // A member without e-mail, birthday or external reference: the response leaves those members out.
        var enrolled = (await Check(p.Pos.PostAsJsonAsync("/api/v1/members", new { name = "Grace Hopper", issueCard = "physical" }),
            "post", "/api/v1/members", HttpStatusCode.Created))!;
        var member = (string)enrolled["id"]!;
        var card = (string)enrolled["cards"]![0]!["number"]!;
        await Check(p.Pos.GetAsync($"/api/v1/members/{member}"), "get", "/api/v1/members/{memberId}", HttpStatusCode.OK);
        await Check(p.Pos.GetAsync($"/api/v1/members?cardNumber={card}"), "get", "/api/v1/members", HttpStatusCode.OK);
        await Check(p.Pos.GetAsync($"/api/v1/cards/{card}"), "get", "/api/v1/cards/{number}", HttpStatusCode.OK);

        var basket = TestProgramme.Purchase("r-1", card, ("kettle", "kitchen", 1, 350m), ("tea", "food", 2, 25m));
        await Check(p.Pos.PostAsJsonAsync("/api/v1/purchases/quote", basket), "post", "/api/v1/purchases/quote", HttpStatusCode.OK);
        var purchase = (await Check(p.Pos.PostAsJsonAsync("/api/v1/purchases", basket), "post", "/api/v1/purchases", HttpStatusCode.Created))!;
        await Check(p.Pos.PostAsJsonAsync("/api/v1/purchases", basket), "post", "/api/v1/purchases", HttpStatusCode.OK);
        var purchaseId = (string)purchase["id"]!;
        await Check(p.Pos.GetAsync($"/api/v1/purchases/{purchaseId}"), "get", "/api/v1/purchases/{purchaseId}", HttpStatusCode.OK);
        await Check(p.Pos.PostAsJsonAsync($"/api/v1/purchases/{purchaseId}/returns", new { returnId = "ret-1", lines = new[] { new { lineNo = 2, quantity = 1m } } }),
            "post", "/api/v1/purchases/{purchaseId}/returns", HttpStatusCode.Created);
        await Check(p.Pos.GetAsync($"/api/v1/members/{member}/purchases"), "get", "/api/v1/members/{memberId}/purchases", HttpStatusCode.OK);
        await Check(p.Pos.GetAsync($"/api/v1/members/{member}/balance"), "get", "/api/v1/members/{memberId}/balance", HttpStatusCode.OK);

        var order = (await Check(p.Pos.PostAsJsonAsync($"/api/v1/members/{member}/reward-orders", new { reward = "mug" }),
            "post", "/api/v1/members/{memberId}/reward-orders", HttpStatusCode.Created))!;
        await Check(p.Pos.GetAsync($"/api/v1/members/{member}/reward-orders"), "get", "/api/v1/members/{memberId}/reward-orders", HttpStatusCode.OK);
        await Check(p.Pos.PostAsync($"/api/v1/reward-orders/{order["id"]}/cancel", null), "post", "/api/v1/reward-orders/{orderId}/cancel", HttpStatusCode.OK);
        await Check(p.Admin.PostAsJsonAsync($"/api/v1/members/{member}/adjustments", new { points = 25, reason = "goodwill" }),
            "post", "/api/v1/members/{memberId}/adjustments", HttpStatusCode.Created);
        await Check(p.Pos.GetAsync($"/api/v1/members/{member}/history"), "get", "/api/v1/members/{memberId}/history", HttpStatusCode.OK);

        await Check(p.Admin.GetAsync("/api/v1/api-keys"), "get", "/api/v1/api-keys", HttpStatusCode.OK);
        await Check(p.Admin.GetAsync("/api/v1/analytics/abc"), "get", "/api/v1/analytics/abc", HttpStatusCode.OK);

        var programme = (await p.Admin.GetFromJsonAsync<JsonObject>("/api/v1/programme"))!;
        await Check(p.Admin.PutAsJsonAsync("/api/v1/programme", programme), "put", "/api/v1/programme", HttpStatusCode.OK);

        // A mail server, so that its read answers 200 below.
        await Check(p.Admin.PutAsJsonAsync("/api/v1/mail/settings", new { host = "smtp.example.org", port = 587, fromAddress = "club@shop.example", fromName = "Shop Club" }),
            "put", "/api/v1/mail/settings", HttpStatusCode.OK);

        // Every other read without path parameters, as an admin sees it (a report on too little history may be a 400).
        foreach (var (path, _, _) in contract.Operations().Where(o => o.Method == "get" && !o.Path.Contains('{', StringComparison.Ordinal) && o.Path.StartsWith("/api/", StringComparison.Ordinal)))
        {
            var res = await p.Admin.GetAsync(path);
            Assert.True(res.StatusCode is HttpStatusCode.OK or HttpStatusCode.BadRequest, $"GET {path}: {(int)res.StatusCode} {await res.Content.ReadAsStringAsync()}");
            await contract.AssertConformsAsync(res, "get", path);
        }

        // Problems: each is a documented status of its operation, as application/problem+json with the shared schema.
        var invalid = (await Check(p.Pos.PostAsJsonAsync("/api/v1/members", new { name = "", email = "not an e-mail" }),
            "post", "/api/v1/members", HttpStatusCode.BadRequest))!;
        Assert.Equal("validation_failed", (string)invalid["code"]!);
        await Check(p.Pos.GetAsync($"/api/v1/members/{Guid.NewGuid()}"), "get", "/api/v1/members/{memberId}", HttpStatusCode.NotFound);
        await Check(p.Pos.GetAsync("/api/v1/cards/0000"), "get", "/api/v1/cards/{number}", HttpStatusCode.NotFound);
        await Check(server.Client(null).GetAsync("/api/v1/programme"), "get", "/api/v1/programme", HttpStatusCode.Unauthorized);
        await Check(p.Pos.GetAsync("/api/v1/api-keys"), "get", "/api/v1/api-keys", HttpStatusCode.Forbidden);
        await Check(p.Pos.PostAsJsonAsync($"/api/v1/members/{member}/reward-orders", new { reward = "knife-set" }),
            "post", "/api/v1/members/{memberId}/reward-orders", HttpStatusCode.UnprocessableEntity);

        // A replay carries the documented Idempotent-Replayed header.
        using var keyed = new HttpRequestMessage(HttpMethod.Post, "/api/v1/members") { Content = JsonContent.Create(new { name = "Ada" }) };
        keyed.Headers.Add("Idempotency-Key", "enrol-ada");
        using var again = new HttpRequestMessage(HttpMethod.Post, "/api/v1/members") { Content = JsonContent.Create(new { name = "Ada" }) };
        again.Headers.Add("Idempotency-Key", "enrol-ada");
        await Check(p.Pos.SendAsync(keyed), "post", "/api/v1/members", HttpStatusCode.Created);
        var replay = await p.Pos.SendAsync(again);
        await contract.AssertConformsAsync(replay, "post", "/api/v1/members");
        Assert.Equal("true", replay.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.NotNull(contract.Document["paths"]!["/api/v1/members"]!["post"]!["responses"]!["201"]!["headers"]?["Idempotent-Replayed"]);
    }

    [Fact]
    public async Task Every_operation_has_an_id_a_description_its_roles_its_security_and_problem_responses()
    {
        var contract = await PublishedSchemas.FetchAsync(server.Client(null));
        var operations = contract.Operations().ToList();
        Assert.True(operations.Count > 40, $"only {operations.Count} operations");
        var ids = operations.Select(o => (string?)o.Operation["operationId"]).ToList();
        Assert.All(ids, id => Assert.Matches("^[a-z][A-Za-z]+$", id ?? ""));
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.Contains("createPurchase", ids);
        Assert.Contains("getMemberBalance", ids);

        foreach (var (path, method, op) in operations)
        {
            var name = $"{method.ToUpperInvariant()} {path}";
            Assert.False(string.IsNullOrWhiteSpace((string?)op["description"]), name + " has no description");
            var responses = op["responses"]!.AsObject();
            var problems = responses.Where(r => r.Key is "default" || r.Key.StartsWith('4') || r.Key.StartsWith('5')).ToList();
            Assert.NotEmpty(problems);
            foreach (var (status, response) in problems)
            {
                var content = response!["content"]!.AsObject();
                Assert.True(content.Count == 1 && content["application/problem+json"]?["schema"]?["$ref"]?.GetValue<string>() == "#/components/schemas/ProblemDetails",
                    $"{name} {status} is not application/problem+json with the ProblemDetails schema");
            }
            var security = op["security"]?.AsArray();
            if (path.StartsWith("/health", StringComparison.Ordinal))
            {
                Assert.True(security is null || security.Count == 0, name + " must not need an API key");
                Assert.False(responses.ContainsKey("401"), name);
                continue;
            }
            Assert.True(security is { Count: > 0 }, name + " has no security requirement");
            var roles = op["x-roles"]!.AsArray().Select(r => (string)r!).ToList();
            Assert.NotEmpty(roles);
            Assert.Contains("admin", roles);
            Assert.Contains("Roles: ", (string)op["description"]!);
            Assert.True(responses.ContainsKey("401"), name + " does not document 401");
            if (!roles.Contains("pos")) Assert.True(responses.ContainsKey("403"), name + " does not document 403 for a till key");
            var header = op["parameters"]?.AsArray().Any(x => x?["$ref"]?.GetValue<string>() == "#/components/parameters/IdempotencyKey" || (string?)x?["name"] == "Idempotency-Key") == true;
            if (method == "get" || StateChanging.Contains((string)op["operationId"]!))
                Assert.True(header == (method != "get"), $"{name}: Idempotency-Key documented: {header}");
        }
        Assert.Empty(contract.Document["security"]?.AsArray() ?? []);
        Assert.True(contract.Document["paths"]!["/api/v1/members/{memberId}"]!["get"]!["responses"]!.AsObject().ContainsKey("404"));
        Assert.Equal(["admin"], contract.Document["paths"]!["/api/v1/api-keys"]!["get"]!["x-roles"]!.AsArray().Select(r => (string)r!));

        var idempotencyKey = contract.Document["components"]!["parameters"]!["IdempotencyKey"]!;
        Assert.Equal("Idempotency-Key", (string)idempotencyKey["name"]!);
        Assert.Equal("header", (string)idempotencyKey["in"]!);
        var problem = contract.Document["components"]!["schemas"]!["ProblemDetails"]!["properties"]!.AsObject();
        foreach (var member in new[] { "type", "title", "status", "detail", "code", "field", "errors", "traceId" })
            Assert.True(problem.ContainsKey(member), "ProblemDetails lacks " + member);
    }

    private static readonly string[] StateChanging = ["applyProgramme", "enrolMember", "updateMember", "issueCard", "blockCard", "replaceCard",
        "createPurchase", "createReturn", "adjustMemberPoints", "redeemReward", "fulfilRewardOrder", "cancelRewardOrder", "createApiKey", "revokeApiKey"];

    [Fact]
    public async Task Every_error_code_in_the_code_is_published_with_its_status()
    {
        var contract = await PublishedSchemas.FetchAsync(server.Client(null));
        var published = contract.Document["components"]!["schemas"]!["ProblemDetails"]!["properties"]!["code"]!["x-error-codes"]!.AsObject();
        var used = Directory.EnumerateFiles(Path.Combine(RepositoryRoot(), "src"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .SelectMany(f => CodeUse().Matches(File.ReadAllText(f)).Select(m => (Code: m.Groups["code"].Value, File: Path.GetFileName(f))))
            .ToList();
        Assert.True(used.Count > 40, $"only {used.Count} uses of error codes found");
        var missing = used.Where(u => !published.ContainsKey(u.Code)).Select(u => $"{u.Code} ({u.File})").Distinct().ToList();
        Assert.True(missing.Count == 0, "Error codes used in src/ but not in Problems.Codes: " + string.Join(", ", missing));
        Assert.Equal(404, (int)published["member_not_found"]!);
        Assert.Equal(422, (int)published["insufficient_points"]!);
    }

    // Problems.Problem("code", ...), Problems.NotFound("code", ...), new Refusal("code", ...), Refuse("code", ...)
    [GeneratedRegex(@"(?:Problems\.(?:Problem|NotFound)|new Refusal|\bRefuse)\(\s*""(?<code>[a-z0-9_]+)""")]
    private static partial Regex CodeUse();

    internal static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Treue.slnx"))) return dir.FullName;
        throw new DirectoryNotFoundException("The repository root (Treue.slnx) was not found above " + AppContext.BaseDirectory);
    }
}

public sealed class OpenApiContractTestsOnSqlite(SqliteServer server) : OpenApiContractTests(server), IClassFixture<SqliteServer>;

public sealed class OpenApiContractTestsOnPostgres(PostgresServer server) : OpenApiContractTests(server), IClassFixture<PostgresServer>;

/// <summary>
/// Checks of the OpenAPI document alone, which does not depend on the database, so SQLite is enough: Spectral's
/// <c>spectral:oas</c> lint (tools/openapi-lint; installed with <c>npm ci</c> when it is missing), and rate limits.
/// </summary>
public sealed class OpenApiDocumentTests(SqliteServer server) : IClassFixture<SqliteServer>
{
    [Fact]
    public async Task Spectral_finds_no_error_and_no_warning_in_the_document()
    {
        var tool = Path.Combine(OpenApiContractTests.RepositoryRoot(), "tools", "openapi-lint");
        var spectral = Path.Combine(tool, "node_modules", ".bin", "spectral");
        if (!File.Exists(spectral))
        {
            var (installed, output) = await RunAsync("npm", ["ci", "--prefix", tool, "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"], tool);
            Assert.True(installed == 0, "npm ci failed: " + output);
        }
        var file = Path.Combine(Path.GetTempPath(), $"treue-openapi-{Guid.NewGuid():N}.json");
        try
        {
            await File.WriteAllTextAsync(file, await server.Client(null).GetStringAsync("/openapi/v1.json"));
            var (exit, output) = await RunAsync(spectral, ["lint", "--ruleset", Path.Combine(tool, ".spectral.yaml"), "--format", "json", "--quiet", "--fail-severity", "hint", file], tool);
            var start = output.IndexOf('[', StringComparison.Ordinal);
            var results = start < 0 ? null : JsonNode.Parse(output[start..])?.AsArray();
            Assert.True(results is not null, "spectral printed no results: " + output);
            var found = results.Select(r => $"{r!["code"]} at {string.Join('.', r["path"]!.AsArray().Select(x => x?.ToString()))}: {r["message"]}").ToList();
            Assert.True(found.Count == 0, $"spectral found {found.Count} problems:\n  " + string.Join("\n  ", found.Take(50)));
            Assert.Equal(0, exit);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Operations_that_need_a_key_document_429_with_Retry_After_and_the_health_checks_do_not()
    {
        // The server limits every API request per key (Treue:RateLimits), so every operation that needs a key can answer 429.
        var contract = await PublishedSchemas.FetchAsync(server.Client(null));
        foreach (var (path, method, op) in contract.Operations())
        {
            var responses = op["responses"]!.AsObject();
            if (path.StartsWith("/health", StringComparison.Ordinal))
            {
                Assert.False(responses.ContainsKey("429"), $"{method} {path}");
                continue;
            }
            Assert.True(responses["429"]?["headers"]?["Retry-After"] is not null, $"{method} {path} does not document 429 with Retry-After");
        }
    }

    private static async Task<(int Exit, string Output)> RunAsync(string file, string[] arguments, string directory)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = directory };
        foreach (var a in arguments) psi.ArgumentList.Add(a);
        psi.Environment["SCARF_ANALYTICS"] = "false";
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }
}
