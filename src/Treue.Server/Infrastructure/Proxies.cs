using System.Net;
using Microsoft.AspNetCore.HttpOverrides;

namespace Treue.Server.Infrastructure;

/// <summary>Settings under <c>Treue:ForwardedHeaders</c>: which reverse proxies may tell the client's address and scheme.</summary>
public sealed class ProxyOptions
{
    /// <summary>Addresses of trusted proxies. With neither proxies nor networks set, only a proxy on the same machine (loopback) is trusted.</summary>
    public List<string> KnownProxies { get; set; } = [];
    /// <summary>Networks of trusted proxies in CIDR notation (<c>10.0.0.0/8</c>).</summary>
    public List<string> KnownNetworks { get; set; } = [];
}

/// <summary>
/// <c>X-Forwarded-For</c> and <c>X-Forwarded-Proto</c> from trusted proxies only: behind the TLS proxy the request
/// counts as HTTPS (so cookies are <c>Secure</c> and HSTS is sent) and the client's own address is what the sign-in
/// throttle and the rate limits see. From anyone else the headers are ignored, since any client can send them.
/// </summary>
public static class Proxies
{
    internal static void AddProxies(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<ForwardedHeadersOptions>().Configure<IConfiguration>((o, configuration) =>
        {
            var proxies = configuration.GetSection("Treue:ForwardedHeaders").Get<ProxyOptions>() ?? new ProxyOptions();
            var addresses = proxies.KnownProxies.Select(p => IPAddress.TryParse(p.Trim(), out var ip) ? ip
                : throw new InvalidOperationException($"Treue:ForwardedHeaders:KnownProxies: '{p}' is not an IP address.")).ToList();
            var networks = proxies.KnownNetworks.Select(n => System.Net.IPNetwork.TryParse(n.Trim(), out var net) ? net
                : throw new InvalidOperationException($"Treue:ForwardedHeaders:KnownNetworks: '{n}' is not a network in CIDR notation (10.0.0.0/8).")).ToList();
            o.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            // Walk back through every trusted proxy in the chain and stop at the first address that is not one.
            o.ForwardLimit = null;
            if (addresses.Count == 0 && networks.Count == 0) return; // the framework's default: loopback only
            o.KnownProxies.Clear();
            o.KnownIPNetworks.Clear();
            foreach (var a in addresses) o.KnownProxies.Add(a);
            foreach (var n in networks) o.KnownIPNetworks.Add(n);
        });
    }
}
