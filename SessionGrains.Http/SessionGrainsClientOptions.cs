namespace SessionGrains.Http;

/// <summary>Settings of <see cref="SessionGrainsClient"/>.</summary>
public sealed class SessionGrainsClientOptions
{
    /// <summary>Where the SessionGrains front end (or its load balancer) listens, e.g. <c>http://localhost:5000</c>.</summary>
    public Uri? BaseAddress { get; set; }

    /// <summary>Retries of one call after a transport error, 408, 429, 502, 503 or 504 (each honours <c>Retry-After</c>).</summary>
    public int MaxRetries { get; set; } = 3;

    /// <summary>First pause between retries when the answer named none; grows exponentially with jitter.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Time limit of one attempt; must exceed the longest lease wait (9 s by default).</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>First pause before the event stream reconnects; doubles up to <see cref="MaxReconnectDelay"/>.</summary>
    public TimeSpan ReconnectDelay { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Longest pause between reconnection attempts of the event stream.</summary>
    public TimeSpan MaxReconnectDelay { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Failed reconnection attempts in a row after which the event stream gives up and throws; null: never.</summary>
    public int? MaxReconnectAttempts { get; set; } = 20;

    /// <summary>When set, the event stream sends a ping this often, which counts as access and keeps the session alive.</summary>
    public TimeSpan? PingInterval { get; set; }
}
