using System.Net;
using Microsoft.Extensions.Options;

namespace SessionGrains.Client.Security;

/// <summary>
/// The reverse proxies (load balancers, TLS terminators) whose <c>X-Forwarded-For</c> and <c>X-Forwarded-Proto</c> the
/// front end believes, bound from the <c>Proxies</c> section. From any other peer those headers are ignored, so a client
/// cannot choose the address it is rate limited by, nor make a plain HTTP request look like HTTPS.
/// </summary>
public sealed class ProxyOptions
{
    public const string Section = "Proxies";

    /// <summary>Addresses of trusted proxies, e.g. <c>10.0.0.5</c>.</summary>
    public List<string> KnownProxies { get; set; } = [];

    /// <summary>Networks of trusted proxies in CIDR notation, e.g. <c>172.16.0.0/12</c>.</summary>
    public List<string> KnownNetworks { get; set; } = [];

    /// <summary>Whether a proxy on the loopback interface (same machine) is trusted, as ASP.NET Core does by default.</summary>
    public bool TrustLoopback { get; set; } = true;

    /// <summary>How many proxy hops of <c>X-Forwarded-For</c> are read, right to left; 1 is one load balancer.</summary>
    public int ForwardLimit { get; set; } = 1;
}

/// <summary>Every address and network must parse; the forward limit must be positive.</summary>
public sealed class ProxyOptionsValidator : IValidateOptions<ProxyOptions>
{
    public ValidateOptionsResult Validate(string? name, ProxyOptions o)
    {
        var failures = new List<string>();
        for (var i = 0; i < o.KnownProxies.Count; i++)
        {
            if (!IPAddress.TryParse(o.KnownProxies[i], out _)) failures.Add($"Proxies:KnownProxies:{i} '{o.KnownProxies[i]}' is not an IP address.");
        }
        for (var i = 0; i < o.KnownNetworks.Count; i++)
        {
            if (!IPNetwork.TryParse(o.KnownNetworks[i], out _)) failures.Add($"Proxies:KnownNetworks:{i} '{o.KnownNetworks[i]}' is not a network in CIDR notation.");
        }
        if (o.ForwardLimit < 1) failures.Add("Proxies:ForwardLimit must be at least 1.");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
