using SessionGrains.Client.Security;
using SessionGrains.Client.Sockets;
using Xunit;

namespace SessionGrains.Tests.Security;

/// <summary>The new limits are validated at start-up and a bad one is named.</summary>
public sealed class SecurityOptionsTests
{
    [Fact]
    public void The_defaults_are_valid()
    {
        Assert.True(new RateLimitOptionsValidator().Validate(null, new RateLimitOptions()).Succeeded);
        Assert.True(new AnonymousSessionOptionsValidator().Validate(null, new AnonymousSessionOptions()).Succeeded);
        Assert.True(new ProxyOptionsValidator().Validate(null, new ProxyOptions()).Succeeded);
        Assert.True(new SessionSocketOptionsValidator().Validate(null, new SessionSocketOptions()).Succeeded);
    }

    [Fact]
    public void Every_bad_limit_is_named()
    {
        var rates = new RateLimitOptionsValidator().Validate(null, new RateLimitOptions { CreatePerAddress = new RateLimit { Permits = 0, Window = TimeSpan.FromMinutes(1) } });
        Assert.Contains(rates.Failures!, f => f.Contains("RateLimits:CreatePerAddress", StringComparison.Ordinal));

        var proxies = new ProxyOptionsValidator().Validate(null, new ProxyOptions { KnownProxies = ["not-an-ip"], KnownNetworks = ["10.0.0.0/99"], ForwardLimit = 0 });
        Assert.Equal(3, proxies.Failures!.Count());

        var sockets = new SessionSocketOptionsValidator().Validate(null, new SessionSocketOptions { QueueBytes = 10, SendTimeout = TimeSpan.Zero, MaxSockets = 0 });
        Assert.Contains(sockets.Failures!, f => f.Contains("QueueBytes", StringComparison.Ordinal));
        Assert.Contains(sockets.Failures!, f => f.Contains("SendTimeout", StringComparison.Ordinal));
        Assert.Contains(sockets.Failures!, f => f.Contains("MaxSockets", StringComparison.Ordinal));

        var anonymous = new AnonymousSessionOptionsValidator().Validate(null, new AnonymousSessionOptions { MaxDataBytes = 0 });
        Assert.Contains(anonymous.Failures!, f => f.Contains("Anonymous:MaxDataBytes", StringComparison.Ordinal));
    }
}
