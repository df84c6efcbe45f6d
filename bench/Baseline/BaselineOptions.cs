namespace SessionGrains.Bench.Baseline;

/// <summary>Settings of the baseline app, bound from the configuration root (<c>--Redis 127.0.0.1:6379</c>).</summary>
public sealed class BaselineOptions
{
    /// <summary>Name of the session cookie (ASP.NET Core's session middleware issues and reads it).</summary>
    public const string CookieName = "sid";

    /// <summary>Where Kestrel listens when no <c>--urls</c> is given.</summary>
    public const string DefaultUrl = "http://127.0.0.1:5100";

    /// <summary>Redis connection string (StackExchange.Redis syntax).</summary>
    public string? Redis { get; set; }

    /// <summary>Prefix of every session key in Redis.</summary>
    public string InstanceName { get; set; } = "baseline-session:";

    /// <summary>Sliding idle timeout of a session, as SessionGrains' default.</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromMinutes(30);
}
