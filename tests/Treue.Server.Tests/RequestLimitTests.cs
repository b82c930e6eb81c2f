using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Treue.Server.Tests.Infrastructure;
using Treue.Storage;

namespace Treue.Server.Tests;

/// <summary>
/// Limits on the size of a request's head, against the real server process (Kestrel), where the in-memory test
/// server does not run: oversized headers and request targets are answered with a problem body.
/// </summary>
public sealed class RequestLimitTests : IAsyncLifetime
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "treue-limits-" + Guid.NewGuid().ToString("N")[..10]);
    private ServerProcess? _server;

    public async ValueTask InitializeAsync()
    {
        Directory.CreateDirectory(_folder);
        _server = await ServerProcess.StartAsync(StorageSetup.DefaultConnectionString(_folder));
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is not null) await _server.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { }
    }

    private HttpClient Client() => new() { BaseAddress = _server!.Address };

    private static async Task<JsonObject> Problem(HttpResponseMessage res, HttpStatusCode status)
    {
        Assert.Equal(status, res.StatusCode);
        Assert.Equal("application/problem+json", res.Content.Headers.ContentType?.MediaType);
        return (await res.Content.ReadFromJsonAsync<JsonObject>())!;
    }

    [Theory]
    [InlineData(20 * 1024)]
    [InlineData(70 * 1024)]
    [InlineData(200 * 1024)]
    public async Task Headers_over_the_limit_get_a_431_problem(int size)
    {
        using var client = Client();
        using var req = new HttpRequestMessage(HttpMethod.Get, "/api/v1/rewards");
        req.Headers.TryAddWithoutValidation("X-Padding", new string('h', size));
        var problem = await Problem(await client.SendAsync(req, TestContext.Current.CancellationToken), HttpStatusCode.RequestHeaderFieldsTooLarge);
        Assert.Equal("headers_too_large", (string)problem["code"]!);
    }

    [Fact]
    public async Task A_request_target_over_the_limit_gets_a_414_problem()
    {
        using var client = Client();
        var res = await client.GetAsync("/api/v1/members?email=" + new string('a', 20 * 1024), TestContext.Current.CancellationToken);
        var problem = await Problem(res, HttpStatusCode.RequestUriTooLong);
        Assert.Equal("uri_too_long", (string)problem["code"]!);
    }

    [Fact]
    public async Task A_nul_in_the_path_is_refused_by_the_server_before_the_application()
    {
        // Kestrel refuses this while parsing the request line, before any application code runs; it answers a bare 400.
        using var client = Client();
        var res = await client.GetAsync("/api/v1/cards/12%0034", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.BadRequest, res.StatusCode);
    }
}
