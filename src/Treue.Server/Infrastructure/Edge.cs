namespace Treue.Server.Infrastructure;

/// <summary>What stands between the network and the application: proxies, hosts, security headers and limits on load.</summary>
public static class Edge
{
    /// <summary>Registers the services of <see cref="UseTreueEdge"/> and <see cref="UseTreueRateLimits"/>.</summary>
    public static void AddTreueEdge(this WebApplicationBuilder builder)
    {
        builder.AddProxies();
        builder.AddPublicUrls();
        builder.AddRateLimits();
        builder.Services.AddHsts(o => o.MaxAge = TimeSpan.FromDays(365));
        // The framework leaves the antiforgery cookie unmarked even over HTTPS; like the sign-in cookies, it follows the request.
        builder.Services.Configure<Microsoft.AspNetCore.Antiforgery.AntiforgeryOptions>(o => o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest);
    }

    /// <summary>The first middleware of the pipeline, before error handling.</summary>
    public static void UseTreueEdge(this WebApplication app)
    {
        // First, so that everything after sees the client's address and scheme instead of the proxy's.
        app.UseForwardedHeaders();
        app.UseSecurityHeaders();
        app.UseHsts(); // only ever on HTTPS requests
        app.UseTreueHostFiltering();
    }

    /// <summary>The rate limits; after authentication, which tells the API key.</summary>
    public static void UseTreueRateLimits(this WebApplication app) => app.UseRateLimiter();
}
