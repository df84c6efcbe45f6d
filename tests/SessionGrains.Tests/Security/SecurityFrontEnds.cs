using SessionGrains.Tests.Infrastructure;

namespace SessionGrains.Tests.Security;

/// <summary>The front end with its abuse limits on; small per-address limits so that tests reach them quickly.</summary>
public sealed class LimitedFrontEnd : StandaloneFrontEnd
{
    public const int CreatesPerAddress = 5;
    public const int AnonymousPerAddress = 40;

    protected override bool AbuseLimits => true;

    protected override IReadOnlyDictionary<string, string> Settings { get; } = new Dictionary<string, string>
    {
        ["RateLimits:CreatePerAddress:Permits"] = CreatesPerAddress.ToString(),
        ["RateLimits:AnonymousPerAddress:Permits"] = AnonymousPerAddress.ToString(),
    };
}

/// <summary>A front end whose global creation limit is small and whose per-address limit is not reached.</summary>
public sealed class GlobalLimitFrontEnd : StandaloneFrontEnd
{
    public const int CreatesInTotal = 8;

    protected override bool AbuseLimits => true;

    protected override IReadOnlyDictionary<string, string> Settings { get; } = new Dictionary<string, string>
    {
        ["RateLimits:CreateGlobal:Permits"] = CreatesInTotal.ToString(),
        ["RateLimits:CreateGlobal:Window"] = "00:10:00",
        ["RateLimits:CreatePerAddress:Permits"] = "1000",
    };
}

/// <summary>A front end that trusts no proxy at all, not even one on loopback: forwarded headers are ignored.</summary>
public sealed class NoTrustedProxyFrontEnd : StandaloneFrontEnd
{
    public const int CreatesPerAddress = 3;

    protected override bool AbuseLimits => true;

    protected override IReadOnlyDictionary<string, string> Settings { get; } = new Dictionary<string, string>
    {
        ["Proxies:TrustLoopback"] = "false",
        ["RateLimits:CreatePerAddress:Permits"] = CreatesPerAddress.ToString(),
    };
}

/// <summary>Requests as they arrive through a proxy: from a client address and scheme the proxy forwards.</summary>
public static class Forwarded
{
    private static int _next;

    /// <summary>A documentation address (RFC 5737) no other test uses, so each test has its own rate-limit partition.</summary>
    public static string NewClientAddress()
    {
        var n = Interlocked.Increment(ref _next);
        return $"198.51.{100 + n / 250}.{n % 250 + 1}";
    }

    public static HttpRequestMessage Request(HttpMethod method, string path, string? clientAddress, HttpContent? content = null, string? proto = null)
    {
        var request = new HttpRequestMessage(method, path) { Content = content };
        if (clientAddress is not null) request.Headers.Add("X-Forwarded-For", clientAddress);
        if (proto is not null) request.Headers.Add("X-Forwarded-Proto", proto);
        return request;
    }
}
