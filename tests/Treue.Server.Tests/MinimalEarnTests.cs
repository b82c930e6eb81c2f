using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Treue.Server.Features.Bench;
using Treue.Server.Tests.Infrastructure;

namespace Treue.Server.Tests;

/// <summary>The benchmark's minimal earn: present only when configured, keyed, guarded and idempotent.</summary>
public abstract class MinimalEarnTests(TreueServer server)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private const string Path = "/api/v1/bench/minimal-earn";

    private WebApplicationFactory<Program> Enabled() => server.WithWebHostBuilder(b => b.UseSetting(MinimalEarnEndpoint.Setting, "true"));

    private static HttpClient Client(WebApplicationFactory<Program> factory, HttpClient keyed)
    {
        var client = factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = keyed.DefaultRequestHeaders.Authorization;
        return client;
    }

    private static async Task<JsonObject> EarnAsync(HttpClient client, string key, Guid member, long points, HttpStatusCode expected = HttpStatusCode.OK)
    {
        using var res = await client.PostAsJsonAsync(Path, new { idempotencyKey = key, memberId = member, points }, TestProgramme.Json, Ct);
        await TestProgramme.Expect(res, expected);
        return (await res.Content.ReadFromJsonAsync<JsonObject>(Ct))!;
    }

    private static bool Maps(WebApplicationFactory<Program> factory) => factory.Services.GetRequiredService<EndpointDataSource>().Endpoints
        .OfType<RouteEndpoint>().Any(e => e.RoutePattern.RawText?.Contains("minimal-earn", StringComparison.Ordinal) == true);

    [Fact]
    public async Task Minimal_earn_adds_points_once_per_key_and_never_below_zero()
    {
        var p = await server.NewProgrammeAsync();
        await using var factory = Enabled();
        using var pos = Client(factory, p.Pos);
        var member = Guid.CreateVersion7();

        Assert.Equal(10, (long)(await EarnAsync(pos, "a", member, 10))["available"]!);
        Assert.Equal(15, (long)(await EarnAsync(pos, "b", member, 5))["available"]!);
        var replay = await EarnAsync(pos, "b", member, 5);
        Assert.False((bool)replay["applied"]!);
        var refused = await EarnAsync(pos, "c", member, -16, (HttpStatusCode)422);
        Assert.Equal("insufficient_points", (string)refused["code"]!);
        // A refused earn wrote nothing, its key included: the same key may be used again.
        Assert.Equal(0, (long)(await EarnAsync(pos, "c", member, -15))["available"]!);
        Assert.Equal(3, (long)(await EarnAsync(pos, "d", Guid.CreateVersion7(), 3))["available"]!);

        // Concurrent earns of one member all count.
        var other = Guid.CreateVersion7();
        await Task.WhenAll(Enumerable.Range(0, 20).Select(i => EarnAsync(pos, "many-" + i, other, 2)));
        Assert.Equal(41, (long)(await EarnAsync(pos, "last", other, 1))["available"]!);

        // Keys belong to the programme: another programme's earn with the same key is applied.
        var q = await server.NewProgrammeAsync();
        using var otherPos = Client(factory, q.Pos);
        Assert.True((bool)(await EarnAsync(otherPos, "a", member, 7))["applied"]!);
    }

    [Fact]
    public async Task Minimal_earn_needs_an_api_key_and_valid_input()
    {
        var p = await server.NewProgrammeAsync();
        await using var factory = Enabled();
        using var anonymous = factory.CreateClient();
        using var res = await anonymous.PostAsJsonAsync(Path, new { idempotencyKey = "k", memberId = Guid.CreateVersion7(), points = 1 }, TestProgramme.Json, Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, res.StatusCode);

        using var pos = Client(factory, p.Pos);
        var bad = await EarnAsync(pos, "", Guid.Empty, 0, HttpStatusCode.BadRequest);
        var errors = bad["errors"]!.AsObject();
        Assert.True(errors.ContainsKey("idempotencyKey"));
        Assert.True(errors.ContainsKey("memberId"));
        Assert.True(errors.ContainsKey("points"));
    }

    [Fact]
    public async Task Minimal_earn_is_absent_unless_configured_and_never_in_the_openapi_document()
    {
        var p = await server.NewProgrammeAsync();
        Assert.False(Maps(server));
        using var res = await p.Pos.PostAsJsonAsync(Path, new { idempotencyKey = "k", memberId = Guid.CreateVersion7(), points = 1 }, TestProgramme.Json, Ct);
        // Nothing answers the POST (the site's page routes may still claim the path for GET: 405 rather than 404).
        Assert.True(res.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed, $"answered {res.StatusCode}");

        await using var factory = Enabled();
        Assert.True(Maps(factory));
        using var client = factory.CreateClient();
        var doc = await client.GetStringAsync("/openapi/v1.json", Ct);
        Assert.Contains("/api/v1/purchases", doc, StringComparison.Ordinal);
        Assert.DoesNotContain("minimal-earn", doc, StringComparison.Ordinal);
    }
}

public sealed class MinimalEarnTestsOnSqlite(SqliteServer server) : MinimalEarnTests(server), IClassFixture<SqliteServer>;

public sealed class MinimalEarnTestsOnPostgres(PostgresServer server) : MinimalEarnTests(server), IClassFixture<PostgresServer>;
