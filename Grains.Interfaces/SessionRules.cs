namespace SessionGrains.Interfaces;

/// <summary>Session rules and limits, bound from the <c>Sessions</c> configuration section.</summary>
public sealed class SessionRules
{
    public const string Section = "Sessions";

    /// <summary>Largest JSON value of one key, in UTF-8 bytes.</summary>
    public int MaxValueBytes { get; set; } = 64 * 1024;

    /// <summary>Largest total of all keys and values of one session, in UTF-8 bytes.</summary>
    public int MaxSessionBytes { get; set; } = 1024 * 1024;

    /// <summary>Most keys one session may hold.</summary>
    public int MaxKeys { get; set; } = 1000;

    /// <summary>Longest key, in characters.</summary>
    public int MaxKeyLength { get; set; } = 128;

    /// <summary>Sliding idle timeout when a session is created without one.</summary>
    public TimeSpan DefaultIdleTimeout { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>Shortest idle timeout a client may ask for.</summary>
    public TimeSpan MinIdleTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Longest idle timeout a client may ask for.</summary>
    public TimeSpan MaxIdleTimeout { get; set; } = TimeSpan.FromDays(7);

    /// <summary>A session ends this long after creation, however active it is.</summary>
    public TimeSpan AbsoluteLifetime { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Sustained requests per second one session may make; also the burst size.</summary>
    public int RequestsPerSecond { get; set; } = 1000;

    /// <summary>Events kept in a session's log for WebSocket resume (at least; the log is trimmed back to it once it holds an eighth more).</summary>
    public int EventLogLength { get; set; } = 64;

    /// <summary>Message bytes kept in a session's event log (it is stored with every change); older events go first.</summary>
    public int EventLogMessageBytes { get; set; } = 256 * 1024;

    /// <summary>Idempotency keys remembered per session (the oldest is forgotten first).</summary>
    public int IdempotencyKeysKept { get; set; } = 32;

    /// <summary>How long the outcome of a write under an idempotency key is remembered.</summary>
    public TimeSpan IdempotencyWindow { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// How long the outcome of a write under a key the front end assigned (prefix <c>fe:</c>) is remembered: only
    /// the front end's own retries, within its call deadline, use it.
    /// </summary>
    public TimeSpan FrontEndIdempotencyWindow { get; set; } = TimeSpan.FromMinutes(1);


    /// <summary>Most live sessions one user may have; creating one more deletes the oldest. 0: no limit.</summary>
    public int MaxSessionsPerUser { get; set; }

    /// <summary>Most WebSockets one session may have open, over all front ends.</summary>
    public int MaxSocketsPerSession { get; set; } = 16;

    /// <summary>A front end's subscription lapses unless renewed within this time.</summary>
    public TimeSpan SubscriptionLifetime { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>An idle session grain is deactivated (not expired) after this long without calls.</summary>
    public TimeSpan ActivationIdleTime { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Slack added to the storage purge time to absorb clock differences between servers.</summary>
    public TimeSpan PurgeGrace { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Whether a client may ask for this idle timeout.</summary>
    public bool AllowsIdleTimeout(TimeSpan idle) => idle >= MinIdleTimeout && idle <= MaxIdleTimeout;

    public string IdleTimeoutRule => $"idleTimeoutSeconds must lie between {MinIdleTimeout.TotalSeconds} and {MaxIdleTimeout.TotalSeconds}.";
}
