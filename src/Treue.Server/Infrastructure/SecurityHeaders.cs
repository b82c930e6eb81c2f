using System.Security.Cryptography;

namespace Treue.Server.Infrastructure;

/// <summary>The headers every response carries to keep browsers from sniffing, framing, leaking and caching.</summary>
public static class SecurityHeaders
{
    private const string NonceKey = "treue:csp-nonce";

    /// <summary>
    /// The pages load their scripts, styles and fonts from this server only and talk to it over its own WebSocket.
    /// The one inline script, the framework's import map, runs by the page's nonce. Styles may be inline because the
    /// component library sets style attributes.
    /// </summary>
    public static string ContentSecurityPolicy(string? nonce) =>
        "default-src 'self'; script-src 'self'" + (nonce is null ? "" : $" 'nonce-{nonce}'") + "; style-src 'self' 'unsafe-inline'; " +
        "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

    /// <summary>The nonce an inline script of this page must carry, or null for responses that have none (the API).</summary>
    public static string? Nonce(HttpContext http) => http.Items.TryGetValue(NonceKey, out var nonce) ? nonce as string : null;

    internal static void UseSecurityHeaders(this IApplicationBuilder app) => app.Use((http, next) =>
    {
        var api = http.Request.Path.StartsWithSegments("/api");
        if (!api) http.Items[NonceKey] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
        // Set when the response starts, so that error pages and problem responses written later carry them too.
        http.Response.OnStarting(() =>
        {
            var headers = http.Response.Headers;
            headers.XContentTypeOptions = "nosniff";
            headers.XFrameOptions = "DENY";
            headers["Referrer-Policy"] = "no-referrer";
            if (!http.Request.Path.StartsWithSegments("/scalar")) headers.ContentSecurityPolicy = ContentSecurityPolicy(Nonce(http));
            // API answers hold members' personal data; no cache on the way may keep them.
            if (api) headers.CacheControl = "no-store";
            return Task.CompletedTask;
        });
        return next(http);
    });
}
