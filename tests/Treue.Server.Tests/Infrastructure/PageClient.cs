using System.Net;
using System.Text.RegularExpressions;

namespace Treue.Server.Tests.Infrastructure;

/// <summary>
/// A browser reduced to what the session tests need: cookies kept by hand (so a test can copy one, as an attacker
/// would), the forms' antiforgery tokens, and no redirects followed.
/// </summary>
public sealed partial class PageClient(HttpClient http) : IDisposable
{
    /// <summary>The cookies this client sends, by name.</summary>
    public Dictionary<string, string> Cookies { get; } = new(StringComparer.Ordinal);

    /// <summary>A client without redirects or a cookie container, for a <see cref="TreueServer"/>.</summary>
    public static PageClient For(TreueServer server) => new(server.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions
    {
        AllowAutoRedirect = false, HandleCookies = false,
    }));

    /// <summary>A client without redirects or a cookie container, for a server at <paramref name="address"/>.</summary>
    // A page of a server in another process can take longer than HttpClient's default 100 s when the whole suite shares two busy cores.
    public static PageClient For(Uri address) => new(new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false })
    {
        BaseAddress = address, Timeout = TimeSpan.FromMinutes(5),
    });

    public async Task<HttpResponseMessage> GetAsync(string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        return await SendAsync(request);
    }

    public async Task<HttpResponseMessage> PostFormAsync(string path, IDictionary<string, string> fields)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new FormUrlEncodedContent(fields) };
        return await SendAsync(request);
    }

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request)
    {
        if (Cookies.Count > 0) request.Headers.Add("Cookie", string.Join("; ", Cookies.Select(c => c.Key + "=" + c.Value)));
        var response = await http.SendAsync(request);
        if (response.Headers.TryGetValues("Set-Cookie", out var set))
        {
            foreach (var header in set)
            {
                var pair = header.Split(';', 2)[0];
                var eq = pair.IndexOf('=', StringComparison.Ordinal);
                var (name, value) = (pair[..eq], pair[(eq + 1)..]);
                if (value.Length == 0 || header.Contains("expires=Thu, 01 Jan 1970", StringComparison.OrdinalIgnoreCase)) Cookies.Remove(name);
                else Cookies[name] = value;
            }
        }
        return response;
    }

    /// <summary>The antiforgery token of the first form on the page at <paramref name="path"/>.</summary>
    public async Task<string> TokenAsync(string path)
    {
        var page = await GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var match = TokenField().Match(await page.Content.ReadAsStringAsync());
        Assert.True(match.Success, "no antiforgery token on " + path);
        return WebUtility.HtmlDecode(match.Groups[1].Value);
    }

    /// <summary>Signs in to the console; returns the response of the form post.</summary>
    public async Task<HttpResponseMessage> StaffSignInAsync(string email, string password)
    {
        var token = await TokenAsync("/admin/signin");
        return await PostFormAsync("/admin/signin", new Dictionary<string, string>
        {
            ["_handler"] = "staff-signin", ["__RequestVerificationToken"] = token, ["Input.Email"] = email, ["Input.Password"] = password,
        });
    }

    /// <summary>Signs in to the portal with a password; returns the response of the form post.</summary>
    public async Task<HttpResponseMessage> MemberSignInAsync(string email, string password)
    {
        var token = await TokenAsync("/portal/signin");
        return await PostFormAsync("/portal/signin", new Dictionary<string, string>
        {
            ["_handler"] = "member-password", ["__RequestVerificationToken"] = token, ["Password.Email"] = email, ["Password.Password"] = password,
        });
    }

    /// <summary>True when <paramref name="path"/> answers with its page, false when it sends the client to a sign-in or denied page.</summary>
    public async Task<bool> CanOpenAsync(string path)
    {
        var response = await GetAsync(path);
        if (response.StatusCode == HttpStatusCode.OK) return true;
        Assert.True(response.StatusCode == HttpStatusCode.Redirect, $"{path}: {(int)response.StatusCode}");
        return false;
    }

    /// <summary>A second client that sends a copy of this client's cookies.</summary>
    public PageClient CopyTo(PageClient other)
    {
        foreach (var (name, value) in Cookies) other.Cookies[name] = value;
        return other;
    }

    public void Dispose() => http.Dispose();

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex TokenField();
}
