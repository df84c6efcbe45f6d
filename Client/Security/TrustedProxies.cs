using System.Net;
using IPNetwork = System.Net.IPNetwork;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;

namespace SessionGrains.Client.Security;

/// <summary>
/// Forwarded headers from trusted proxies only: <c>X-Forwarded-For</c> becomes the client address (rate limits, the
/// dashboard's loopback rule) and <c>X-Forwarded-Proto</c> the scheme, so cookies are <c>Secure</c> behind a proxy
/// that terminates TLS. The proxy itself must pass the browser's <c>Host</c> header unchanged.
/// </summary>
public static class TrustedProxies
{
    public static IServiceCollection AddTrustedProxies(this IServiceCollection services)
    {
        services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<ProxyOptions>>((forwarded, proxies) =>
        {
            var o = proxies.Value;
            forwarded.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            forwarded.ForwardLimit = o.ForwardLimit;
            forwarded.KnownProxies.Clear();
            forwarded.KnownIPNetworks.Clear();
#pragma warning disable ASPDEPR005 // The obsolete list still holds the loopback network by default and is still consulted.
            forwarded.KnownNetworks.Clear();
#pragma warning restore ASPDEPR005
            if (o.TrustLoopback)
            {
                forwarded.KnownIPNetworks.Add(IPNetwork.Parse("127.0.0.0/8"));
                forwarded.KnownIPNetworks.Add(IPNetwork.Parse("::ffff:127.0.0.0/104"));
                forwarded.KnownProxies.Add(IPAddress.IPv6Loopback);
            }
            foreach (var proxy in o.KnownProxies.Select(IPAddress.Parse))
            {
                forwarded.KnownProxies.Add(proxy);
                // Kestrel reports IPv4 peers as IPv4-mapped IPv6 addresses when it listens on IPv6.
                if (proxy.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork) forwarded.KnownProxies.Add(proxy.MapToIPv6());
            }
            foreach (var network in o.KnownNetworks.Select(n => IPNetwork.Parse(n)))
            {
                forwarded.KnownIPNetworks.Add(network);
                if (network.BaseAddress.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork)
                    forwarded.KnownIPNetworks.Add(new IPNetwork(network.BaseAddress.MapToIPv6(), network.PrefixLength + 96));
            }
            // With both lists empty the middleware would believe every peer: no trusted proxy means no forwarding at all.
            if (forwarded.KnownProxies.Count == 0 && forwarded.KnownIPNetworks.Count == 0) forwarded.ForwardedHeaders = ForwardedHeaders.None;
        });
        return services;
    }
}
