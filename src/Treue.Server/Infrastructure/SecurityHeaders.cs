namespace Treue.Server.Infrastructure;

/// <summary>The headers every response carries to keep browsers from sniffing, framing, leaking and caching.</summary>
public static class SecurityHeaders
{
    /// <summary>
    /// The pages load their scripts, styles and fonts from this server only and talk to it over its own WebSocket.
    /// Styles may be inline because the component library sets style attributes; scripts may not.
    /// </summary>
    public const string ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
        "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

    internal static void UseSecurityHeaders(this IApplicationBuilder app) => app.Use((http, next) =>
    {
        // Set when the response starts, so that error pages and problem responses written later carry them too.
        http.Response.OnStarting(() =>
        {
            var headers = http.Response.Headers;
            headers.XContentTypeOptions = "nosniff";
            headers.XFrameOptions = "DENY";
            headers["Referrer-Policy"] = "no-referrer";
            if (!http.Request.Path.StartsWithSegments("/scalar")) headers.ContentSecurityPolicy = ContentSecurityPolicy;
            // API answers hold members' personal data; no cache on the way may keep them.
            if (http.Request.Path.StartsWithSegments("/api")) headers.CacheControl = "no-store";
            return Task.CompletedTask;
        });
        return next(http);
    });
}
