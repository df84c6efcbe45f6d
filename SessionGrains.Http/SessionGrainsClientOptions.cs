namespace SessionGrains.Http;

/// <summary>Settings of <see cref="SessionGrainsClient"/>.</summary>
public sealed class SessionGrainsClientOptions
{
    /// <summary>Where the SessionGrains front end (or its load balancer) listens, e.g. <c>http://localhost:5000</c>.</summary>
    public Uri? BaseAddress { get; set; }

    /// <summary>
    /// The front end's API key, sent as <c>X-Api-Key</c> with every request: the caller is then a trusted app, whose session
    /// creation is not limited per address and may ask for the API-key limits (docs/API.md). Null: an anonymous caller.
    /// </summary>
    public string? ApiKey { get; set; }

    /// <summary>
    /// Longest <c>Retry-After</c> the client waits for before a retry; an answer asking for longer is not retried but
    /// thrown at once (e.g. <see cref="RateLimitedException"/> with its <c>RetryAfter</c>). Null: any wait is honoured.
    /// </summary>
    public TimeSpan? MaxRetryAfter { get; set; }

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
