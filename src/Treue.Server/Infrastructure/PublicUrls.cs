using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.HostFiltering;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.Extensions.Options;

namespace Treue.Server.Infrastructure;

/// <summary>
/// The address people and clients reach the server at. Links that leave the server (sign-in links, the OpenAPI
/// document's <c>servers</c>) are built from it and never from a request's <c>Host</c> header, which the sender chooses.
/// </summary>
public sealed class PublicUrls(IOptions<TreueOptions> options, IServer server, IConfiguration configuration)
{
    private Uri? _base;

    /// <summary>
    /// <c>Treue:PublicBaseUrl</c>; when unset, the first address the server listens on (a wildcard host becomes
    /// <c>localhost</c>). Always ends with <c>/</c>.
    /// </summary>
    public Uri Base => _base ??= Resolve();

    /// <summary>An absolute URL for a path of this site (without a leading slash).</summary>
    public Uri For(string relative) => new(Base, relative);

    private Uri Resolve()
    {
        if (Parse(options.Value.PublicBaseUrl) is { } configured) return configured;
        // The bound addresses know the real port when the configuration asked for port 0.
        var listening = server.Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        var configuredUrls = (configuration["urls"] ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var address in listening.Concat(configuredUrls))
        {
            var local = address.Replace("://*", "://localhost", StringComparison.Ordinal).Replace("://+", "://localhost", StringComparison.Ordinal)
                .Replace("://0.0.0.0", "://localhost", StringComparison.Ordinal).Replace("://[::]", "://localhost", StringComparison.Ordinal);
            if (Parse(local) is { } uri) return uri;
        }
        return new Uri("http://localhost/");
    }

    /// <summary>An absolute http(s) URL with a trailing slash, or null.</summary>
    public static Uri? Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text) || !Uri.TryCreate(text.Trim(), UriKind.Absolute, out var uri)) return null;
        if (uri.Scheme is not ("http" or "https") || !string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.Fragment)) return null;
        return uri.AbsoluteUri.EndsWith('/') ? uri : new Uri(uri.AbsoluteUri + "/");
    }
}

/// <summary>Host filtering and the OpenAPI <c>servers</c> entry.</summary>
public static class PublicUrlSetup
{
    private const string HostAccepted = "treue:host-accepted";

    /// <summary>Lists the public base URL as the only server of the OpenAPI document.</summary>
    public static OpenApiOptions AddPublicServer(this OpenApiOptions options) => options.AddDocumentTransformer((doc, context, _) =>
    {
        var url = context.ApplicationServices.GetRequiredService<PublicUrls>().Base.AbsoluteUri.TrimEnd('/');
        doc.Servers = [new Microsoft.OpenApi.OpenApiServer { Url = url }];
        return Task.CompletedTask;
    });

    internal static void AddPublicUrls(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<TreueOptions>()
            .Validate(o => string.IsNullOrWhiteSpace(o.PublicBaseUrl) || PublicUrls.Parse(o.PublicBaseUrl) is not null,
                "Treue:PublicBaseUrl must be an absolute http or https URL without query, for example https://loyalty.example.com/.")
            .ValidateOnStart();
        builder.Services.AddSingleton<PublicUrls>();
        builder.Services.Configure<OpenApiOptions>("v1", o => o.AddPublicServer());
        // The framework puts host filtering in front of everything, where its refusal is a bare HTML page. It runs
        // here instead (UseTreueHostFiltering), behind the error handling, so that a refusal is a problem response.
        var builtIn = builder.Services.Where(d => d.ServiceType == typeof(IStartupFilter) && d.ImplementationType?.Name == "HostFilteringStartupFilter").ToList();
        foreach (var d in builtIn) builder.Services.Remove(d);
        builder.Services.PostConfigure<HostFilteringOptions>(o => o.IncludeFailureMessage = false);
    }

    /// <summary>Refuses requests for hosts not in <c>AllowedHosts</c> with a 400 problem.</summary>
    internal static void UseTreueHostFiltering(this IApplicationBuilder app)
    {
        app.Use(async (http, next) =>
        {
            await next(http);
            if (http.Response.StatusCode == 400 && !http.Response.HasStarted && !http.Items.ContainsKey(HostAccepted))
                await Problems.Problem("unknown_host", "This server does not answer for the host named in the request.", "Host", 400).ExecuteAsync(http);
        });
        app.UseHostFiltering();
        app.Use((http, next) =>
        {
            http.Items[HostAccepted] = true;
            return next(http);
        });
    }
}
