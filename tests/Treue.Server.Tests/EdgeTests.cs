using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Treue.Server.Features.Analytics;
using Treue.Server.Tests.Infrastructure;
using Treue.Server.Web.Admin;
using Treue.Server.Web.Shared;
using Treue.Storage.Entities;

namespace Treue.Server.Tests;

/// <summary>
/// The edge of the server: the public base URL instead of the Host header, allowed hosts, proxies, security headers,
/// rate limits, Retry-After on refused sign-ins, and costly analytics computed once per data version.
/// </summary>
public abstract partial class EdgeTests(TreueServer server)
{
    private const string Proxy = "10.1.2.3";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Keeps the sign-in messages a server would send.</summary>
    internal sealed class CapturingSender : ISignInCodeSender
    {
        public ConcurrentQueue<SignInCodeMessage> Sent { get; } = new();

        public Task SendAsync(SignInCodeMessage message, CancellationToken ct)
        {
            Sent.Enqueue(message);
            return Task.CompletedTask;
        }
    }

    /// <summary>Lets a test say which address a request comes from, as a TCP connection would (the test host has none).</summary>
    private sealed class PeerAddress : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((http, nextMiddleware) =>
            {
                if (http.Request.Headers.TryGetValue("X-Test-Peer", out var peer)) http.Connection.RemoteIpAddress = IPAddress.Parse(peer.ToString());
                return nextMiddleware(http);
            });
            next(app);
        };
    }

    /// <summary>The same server and database with other settings.</summary>
    private WebApplicationFactory<Program> With(params (string Key, string Value)[] settings) => server.WithWebHostBuilder(b =>
    {
        foreach (var (key, value) in settings) b.UseSetting(key, value);
        b.ConfigureTestServices(s => s.AddTransient<IStartupFilter, PeerAddress>());
    });

    private static HttpClient Plain(WebApplicationFactory<Program> factory, string? key = null)
    {
        var client = factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false });
        if (key is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    private async Task<(string Admin, string Pos)> KeysAsync(TestProgramme p) => await server.WithDbAsync(async db =>
    {
        var now = server.Clock.GetUtcNow().UtcDateTime;
        var admin = await Features.ApiKeys.ApiKeyEndpoints.CreateAsync(db, p.Id, "edge admin", ApiRole.Admin, null, now, Ct);
        var pos = await Features.ApiKeys.ApiKeyEndpoints.CreateAsync(db, p.Id, "edge till", ApiRole.Pos, null, now, Ct);
        return (admin.Key, pos.Key);
    });

    [GeneratedRegex("<input[^>]*name=\"(?<name>[^\"]+)\"[^>]*value=\"(?<value>[^\"]*)\"", RegexOptions.IgnoreCase)]
    private static partial Regex HiddenInput();

    /// <summary>A server-rendered form: fetches the page, then posts the form named <paramref name="handler"/> with its hidden fields and <paramref name="fields"/>.</summary>
    internal static async Task<HttpResponseMessage> PostFormAsync(HttpClient client, string page, string handler, Dictionary<string, string> fields, Action<HttpRequestMessage>? headers = null)
    {
        using var get = new HttpRequestMessage(HttpMethod.Get, page);
        headers?.Invoke(get);
        using var form = await client.SendAsync(get, Ct);
        var html = await form.Content.ReadAsStringAsync(Ct);
        var start = html.IndexOf($"value=\"{handler}\"", StringComparison.Ordinal);
        Assert.True(start >= 0, $"no form {handler} on {page}");
        var formStart = html.LastIndexOf("<form", start, StringComparison.Ordinal);
        var formEnd = html.IndexOf("</form>", start, StringComparison.Ordinal);
        var values = HiddenInput().Matches(html[formStart..formEnd]).Where(m => m.Value.Contains("type=\"hidden\"", StringComparison.Ordinal))
            .ToDictionary(m => m.Groups["name"].Value, m => WebUtility.HtmlDecode(m.Groups["value"].Value));
        foreach (var (k, v) in fields) values[k] = v;
        using var post = new HttpRequestMessage(HttpMethod.Post, page) { Content = new FormUrlEncodedContent(values) };
        var cookies = form.Headers.TryGetValues("Set-Cookie", out var set) ? string.Join("; ", set.Select(c => c.Split(';')[0])) : "";
        if (cookies.Length > 0) post.Headers.Add("Cookie", cookies);
        headers?.Invoke(post);
        return await client.SendAsync(post, Ct);
    }

    [Fact]
    public async Task A_forged_host_ends_up_neither_in_a_sign_in_link_nor_in_the_openapi_servers()
    {
        var p = await server.NewProgrammeAsync();
        var email = $"m-{Guid.NewGuid():N}@example.org";
        await p.EnrolAsync("Link Member", email);
        var sender = new CapturingSender();
        await using var edge = server.WithWebHostBuilder(b =>
        {
            b.UseSetting("Treue:PublicBaseUrl", "https://loyalty.example.com");
            b.UseSetting("Treue:Portal:Programme", p.Code);
            b.ConfigureTestServices(s => s.RemoveAll<ISignInCodeSender>().AddSingleton<ISignInCodeSender>(sender));
        });
        var client = Plain(edge);

        var res = await PostFormAsync(client, "http://attacker.example/portal/signin", "member-code-request", new() { ["Code.Email"] = email });
        Assert.Equal(HttpStatusCode.Found, res.StatusCode);
        var message = Assert.Single(sender.Sent);
        Assert.Equal("https://loyalty.example.com/portal/signin/link", message.Link.GetLeftPart(UriPartial.Path));

        var openApi = await client.GetStringAsync("http://attacker.example/openapi/v1.json", Ct);
        Assert.DoesNotContain("attacker.example", openApi, StringComparison.Ordinal);
        var servers = JsonNode.Parse(openApi)!["servers"]!.AsArray();
        Assert.Equal("https://loyalty.example.com", (string)Assert.Single(servers)!["url"]!);
    }

    [Fact]
    public async Task With_allowed_hosts_set_an_unknown_host_gets_a_400_problem()
    {
        await using var edge = With(("AllowedHosts", "treue.example;localhost"));
        var client = Plain(edge);
        var refused = await client.GetAsync("http://attacker.example/health/live", Ct);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        var problem = (await refused.Content.ReadFromJsonAsync<JsonObject>(Ct))!;
        Assert.Equal("unknown_host", (string)problem["code"]!);
        Assert.Equal("Host", (string)problem["field"]!);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("http://treue.example/health/live", Ct)).StatusCode);
    }

    [Fact]
    public async Task A_key_over_its_limit_gets_429_with_retry_after_and_other_keys_go_on()
    {
        var p = await server.NewProgrammeAsync();
        var (member, _) = await p.EnrolAsync();
        var (admin, pos) = await KeysAsync(p);
        await using var edge = With(("Treue:RateLimits:PerKey:PermitsPerSecond", "1"), ("Treue:RateLimits:PerKey:Burst", "3"),
            ("Treue:RateLimits:Anonymous:PermitsPerSecond", "1"), ("Treue:RateLimits:Anonymous:Burst", "2"));
        var till = Plain(edge, pos);
        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? refused = null;
        for (var i = 0; i < 8 && refused is null; i++)
        {
            var res = await till.GetAsync($"/api/v1/members/{member}/balance", Ct);
            statuses.Add(res.StatusCode);
            if (res.StatusCode == HttpStatusCode.TooManyRequests) refused = res;
        }
        Assert.NotNull(refused);
        Assert.True(statuses.Count >= 4, string.Join(", ", statuses));
        Assert.All(statuses[..3], s => Assert.Equal(HttpStatusCode.OK, s));
        Assert.True(refused.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1), refused.Headers.RetryAfter?.ToString());
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        Assert.Equal("rate_limited", (string)(await refused.Content.ReadFromJsonAsync<JsonObject>(Ct))!["code"]!);

        // Another key of the same programme has its own allowance; health checks are never limited.
        Assert.Equal(HttpStatusCode.OK, (await Plain(edge, admin).GetAsync($"/api/v1/members/{member}/balance", Ct)).StatusCode);
        var anonymous = Plain(edge);
        for (var i = 0; i < 5; i++) Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/health/live", Ct)).StatusCode);

        // Without a key the client's address is what counts.
        var codes = new List<HttpStatusCode>();
        for (var i = 0; i < 6; i++) codes.Add((await anonymous.GetAsync("/api/v1/programme", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, codes[0]);
        Assert.Contains(HttpStatusCode.TooManyRequests, codes);
    }

    [Fact]
    public async Task Costly_analytics_have_a_lower_limit_of_their_own()
    {
        var p = await server.NewProgrammeAsync();
        var (member, _) = await p.EnrolAsync();
        var (_, pos) = await KeysAsync(p);
        await using var edge = With(("Treue:RateLimits:Expensive:PermitsPerSecond", "1"), ("Treue:RateLimits:Expensive:Burst", "2"));
        var till = Plain(edge, pos);
        var codes = new List<HttpStatusCode>();
        for (var i = 0; i < 6; i++) codes.Add((await till.GetAsync($"/api/v1/members/{member}/recommendations", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, codes[0]);
        Assert.Contains(HttpStatusCode.TooManyRequests, codes);
        Assert.Equal(HttpStatusCode.OK, (await till.GetAsync($"/api/v1/members/{member}/balance", Ct)).StatusCode);
    }

    [Fact]
    public async Task Recommendations_for_unchanged_data_are_mined_once_and_again_after_a_purchase()
    {
        var p = await server.NewProgrammeAsync();
        var (wine, wineCard) = await p.EnrolAsync("Wine only");
        for (var i = 0; i < 12; i++)
        {
            var (m, card) = await p.EnrolAsync("Buyer " + i);
            await p.BuyAsync(TestProgramme.Purchase($"r-{i}", card, ("w" + i, "wine", 1, 10m), ("c" + i, "cheese", 1, 5m)));
        }
        await p.BuyAsync(TestProgramme.Purchase("r-wine", wineCard, ("w-x", "wine", 1, 10m)));
        var cache = server.Services.GetRequiredService<AnalyticsCache>();
        var before = cache.Computations;

        var first = await p.Pos.GetFromJsonAsync<JsonArray>($"/api/v1/members/{wine}/recommendations?by=category", Ct);
        Assert.Equal("cheese", (string)first![0]!["item"]!);
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => p.Pos.GetFromJsonAsync<JsonArray>($"/api/v1/members/{wine}/recommendations?by=category", Ct)));
        Assert.Equal(1, cache.Computations - before);

        await p.BuyAsync(TestProgramme.Purchase("r-new", wineCard, ("b-1", "bread", 1, 3m)));
        await p.Pos.GetFromJsonAsync<JsonArray>($"/api/v1/members/{wine}/recommendations?by=category", Ct);
        await p.Pos.GetFromJsonAsync<JsonArray>($"/api/v1/members/{wine}/recommendations?by=category", Ct);
        Assert.Equal(2, cache.Computations - before);
    }

    [Fact]
    public async Task Reports_for_unchanged_data_are_computed_once_and_again_after_a_purchase_a_return_or_an_enrolment()
    {
        var p = await server.NewProgrammeAsync();
        var (_, card) = await p.EnrolAsync("Buyer");
        var bought = await p.BuyAsync(TestProgramme.Purchase("abc-1", card, ("w", "wine", 2, 10m)));
        var cache = server.Services.GetRequiredService<AnalyticsCache>();
        var before = cache.Computations;

        async Task<decimal> Revenue() => (decimal)(await p.Admin.GetFromJsonAsync<JsonObject>("/api/v1/analytics/abc", Ct))!["totalRevenue"]!;
        Assert.Equal(20m, await Revenue());
        await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => Revenue()));
        await p.Admin.GetFromJsonAsync<JsonObject>("/api/v1/analytics/retention", Ct);
        await p.Admin.GetFromJsonAsync<JsonObject>("/api/v1/analytics/retention", Ct);
        Assert.Equal(2, cache.Computations - before);

        var returned = await p.Pos.PostAsJsonAsync($"/api/v1/purchases/{bought["id"]}/returns",
            new { returnId = "abc-r1", lines = new[] { new { lineNo = 1, quantity = 1 } } }, Ct);
        Assert.Equal(HttpStatusCode.Created, returned.StatusCode);
        Assert.Equal(10m, await Revenue());
        Assert.Equal(3, cache.Computations - before);

        await p.EnrolAsync("Newcomer");
        await Revenue();
        await p.BuyAsync(TestProgramme.Purchase("abc-2", card, ("b", "bread", 1, 3m)));
        Assert.Equal(13m, await Revenue());
        Assert.Equal(5, cache.Computations - before);
    }

    [Fact]
    public async Task Every_response_carries_the_security_headers_and_api_answers_are_not_stored()
    {
        var p = await server.NewProgrammeAsync();
        var (member, _) = await p.EnrolAsync();
        var client = Plain(server, null);
        client.DefaultRequestHeaders.Authorization = p.Pos.DefaultRequestHeaders.Authorization;
        foreach (var path in new[] { $"/api/v1/members/{member}/balance", "/api/v1/nothing-here", "/admin/signin", "/portal/signin", "/health" })
        {
            var res = await client.GetAsync(path, Ct);
            Assert.Equal("nosniff", res.Headers.GetValues("X-Content-Type-Options").Single());
            Assert.Equal("DENY", res.Headers.GetValues("X-Frame-Options").Single());
            Assert.Equal("no-referrer", res.Headers.GetValues("Referrer-Policy").Single());
            var csp = res.Headers.GetValues("Content-Security-Policy").Single();
            Assert.Contains("frame-ancestors 'none'", csp, StringComparison.Ordinal);
            Assert.Contains("script-src 'self'", csp, StringComparison.Ordinal);
            Assert.False(res.Headers.Contains("Strict-Transport-Security"), path);
            if (path.StartsWith("/api", StringComparison.Ordinal)) Assert.True(res.Headers.CacheControl?.NoStore, path);
        }
    }

    [Fact]
    public async Task Behind_a_trusted_proxy_https_gives_hsts_and_secure_cookies_and_an_untrusted_one_is_ignored()
    {
        var p = await server.NewProgrammeAsync();
        var email = $"staff-{Guid.NewGuid():N}@example.org";
        using (var scope = server.Services.CreateScope())
            await scope.ServiceProvider.GetRequiredService<StaffAccounts>().CreateAsync(p.Id, email, "Sam Staff", StaffRole.Admin, "a-long-password-1", Treue.Server.Features.Audit.AuditActor.System, Ct);
        await using var edge = With(("Treue:ForwardedHeaders:KnownProxies:0", Proxy));
        var client = Plain(edge);

        async Task<HttpResponseMessage> SignInVia(string peer) => await PostFormAsync(client, "http://treue.example/admin/signin", "staff-signin",
            new() { ["Input.Email"] = email, ["Input.Password"] = "a-long-password-1" }, r =>
            {
                r.Headers.Add("X-Test-Peer", peer);
                r.Headers.Add("X-Forwarded-Proto", "https");
                r.Headers.Add("X-Forwarded-For", "203.0.113.7");
            });

        var trusted = await SignInVia(Proxy);
        Assert.Equal(HttpStatusCode.Found, trusted.StatusCode);
        var cookie = trusted.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("treue_staff=", StringComparison.Ordinal));
        Assert.Contains("secure", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.True(trusted.Headers.Contains("Strict-Transport-Security"));

        using var page = new HttpRequestMessage(HttpMethod.Get, "http://treue.example/admin/signin");
        page.Headers.Add("X-Test-Peer", Proxy);
        page.Headers.Add("X-Forwarded-Proto", "https");
        var antiforgery = (await client.SendAsync(page, Ct)).Headers.GetValues("Set-Cookie").Single(c => c.StartsWith(".AspNetCore.Antiforgery", StringComparison.Ordinal));
        Assert.Contains("secure", antiforgery, StringComparison.OrdinalIgnoreCase);

        using var language = new HttpRequestMessage(HttpMethod.Get, "http://treue.example/culture?c=de&back=/admin");
        language.Headers.Add("X-Test-Peer", Proxy);
        language.Headers.Add("X-Forwarded-Proto", "https");
        var culture = (await client.SendAsync(language, Ct)).Headers.GetValues("Set-Cookie").Single(c => c.StartsWith(".AspNetCore.Culture", StringComparison.Ordinal));
        Assert.Contains("secure", culture, StringComparison.OrdinalIgnoreCase);

        var untrusted = await SignInVia("192.0.2.50");
        Assert.Equal(HttpStatusCode.Found, untrusted.StatusCode);
        cookie = untrusted.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("treue_staff=", StringComparison.Ordinal));
        Assert.DoesNotContain("secure", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.False(untrusted.Headers.Contains("Strict-Transport-Security"));
    }

    [Fact]
    public async Task The_sign_in_throttle_counts_each_client_behind_the_proxy_and_its_429_says_when_to_retry()
    {
        await using var edge = With(("Treue:ForwardedHeaders:KnownProxies:0", Proxy));
        var client = Plain(edge);
        Task<HttpResponseMessage> Fail(string clientAddress, int i) => PostFormAsync(client, "/admin/signin", "staff-signin",
            new() { ["Input.Email"] = $"nobody-{i}@example.org", ["Input.Password"] = "wrong" }, r =>
            {
                r.Headers.Add("X-Test-Peer", Proxy);
                r.Headers.Add("X-Forwarded-For", clientAddress);
            });

        for (var i = 0; i < SignInThrottle.MaxFailuresPerAddress; i++)
            Assert.Equal(HttpStatusCode.OK, (await Fail("203.0.113.8", i)).StatusCode);
        var refused = await Fail("203.0.113.8", 1000);
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        var wait = refused.Headers.RetryAfter?.Delta;
        Assert.True(wait > TimeSpan.Zero && wait <= SignInThrottle.Window, refused.Headers.RetryAfter?.ToString());

        // Another client of the same proxy is not locked out by the first one's failures.
        Assert.Equal(HttpStatusCode.OK, (await Fail("198.51.100.9", 2000)).StatusCode);
    }
}

public sealed class EdgeTestsOnSqlite(SqliteServer server) : EdgeTests(server), IClassFixture<SqliteServer>;

public sealed class EdgeTestsOnPostgres(PostgresServer server) : EdgeTests(server), IClassFixture<PostgresServer>;
