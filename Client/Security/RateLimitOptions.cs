using Microsoft.Extensions.Options;

namespace SessionGrains.Client.Security;

/// <summary>
/// The front end's abuse limits, bound from the <c>RateLimits</c> section. Each is a token bucket: <see cref="RateLimit.Permits"/>
/// requests at once, refilled at that many per <see cref="RateLimit.Window"/>. Callers with the API key are never
/// limited here; requests with a genuine session token are limited by their session instead (Sessions:RequestsPerSecond).
/// </summary>
public sealed class RateLimitOptions
{
    public const string Section = "RateLimits";

    /// <summary>Off only for benchmarks and tests that create sessions in bulk from one address.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary><c>POST /sessions</c> without the API key, per client address.</summary>
    public RateLimit CreatePerAddress { get; set; } = new() { Permits = 30, Window = TimeSpan.FromMinutes(1) };

    /// <summary><c>POST /sessions</c> without the API key, over all clients of this front end.</summary>
    public RateLimit CreateGlobal { get; set; } = new() { Permits = 200, Window = TimeSpan.FromSeconds(1) };

    /// <summary>Requests with no credential (no API key, no genuine session token), per client address.</summary>
    public RateLimit AnonymousPerAddress { get; set; } = new() { Permits = 300, Window = TimeSpan.FromMinutes(1) };

    /// <summary>Requests with no credential over all clients of this front end; health checks are not counted.</summary>
    public RateLimit AnonymousGlobal { get; set; } = new() { Permits = 2000, Window = TimeSpan.FromSeconds(1) };
}

/// <summary>A token bucket: at most <see cref="Permits"/> at once, refilled at <see cref="Permits"/> per <see cref="Window"/>.</summary>
public sealed class RateLimit
{
    public int Permits { get; set; }

    public TimeSpan Window { get; set; }
}

/// <summary>Every limit needs positive permits and a positive window.</summary>
public sealed class RateLimitOptionsValidator : IValidateOptions<RateLimitOptions>
{
    public ValidateOptionsResult Validate(string? name, RateLimitOptions o)
    {
        var failures = new List<string>();
        void Check(RateLimit limit, string key)
        {
            if (limit.Permits <= 0 || limit.Window <= TimeSpan.Zero) failures.Add($"RateLimits:{key} needs Permits > 0 and a positive Window.");
        }
        Check(o.CreatePerAddress, nameof(o.CreatePerAddress));
        Check(o.CreateGlobal, nameof(o.CreateGlobal));
        Check(o.AnonymousPerAddress, nameof(o.AnonymousPerAddress));
        Check(o.AnonymousGlobal, nameof(o.AnonymousGlobal));
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
