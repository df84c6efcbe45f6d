namespace SessionGrains.AspNetCore;

/// <summary>Settings of the SessionGrains session store.</summary>
public sealed class SessionGrainsOptions
{
    /// <summary>Where the SessionGrains front end (or its load balancer) listens, e.g. <c>http://localhost:5000/</c>.</summary>
    public Uri? BaseAddress { get; set; }

    /// <summary>
    /// The front end's API key (<c>Admin__ApiKey</c>). With it the store is a trusted app: creating its visitors' sessions
    /// is not limited per address (all of them come from the app's address) and may use the API-key limits (idle timeout,
    /// initial data). Without it the store creates sessions as an anonymous client, under the per-address create limit.
    /// </summary>
    public string? ApiKey { get; set; }

    /// <summary>
    /// Longest <c>Retry-After</c> a call waits for before its retry (1 s by default): a throttled creation that asks for
    /// longer fails at once with <see cref="SessionStoreException"/> (503), well before the page's own timeout.
    /// </summary>
    public TimeSpan ThrottleWait { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a request's lease is guaranteed (1 s to 5 min); a request running longer may lose it to the next one.</summary>
    public TimeSpan LeaseTtl { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a request waits for the lease of its session; null: <c>SessionOptions.IOTimeout</c> (1 minute by default).</summary>
    public TimeSpan? LeaseWait { get; set; }

    /// <summary>How sessions of the old provider are treated while moving over; null: there is no old provider (see docs/MIGRATION.md).</summary>
    public SessionMigrationPhase? Migration { get; set; }

    /// <summary>Migrate from the <c>IDistributedCache</c> session store (e.g. <c>AddStackExchangeRedisCache</c>, kept registered meanwhile).</summary>
    public SessionGrainsOptions MigrateFromDistributedCache(SessionMigrationPhase phase = SessionMigrationPhase.Import)
    {
        Migration = phase;
        return this;
    }
}

/// <summary>The two phases of a migration from the distributed-cache session store, without downtime.</summary>
public enum SessionMigrationPhase
{
    /// <summary>
    /// Every session stays where it is: old cookies and new sessions use the old store, SessionGrains cookies use
    /// SessionGrains. Roll this out to every instance first, so all of them understand both kinds of cookie.
    /// </summary>
    Prepare,

    /// <summary>
    /// New sessions are SessionGrains sessions, and an old session is copied into SessionGrains at its next request, its
    /// cookie replaced, and a forwarding entry left in the old store so a straggling request with the old cookie finds the copy.
    /// </summary>
    Import,
}
