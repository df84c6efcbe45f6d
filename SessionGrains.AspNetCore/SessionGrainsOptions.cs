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

    /// <summary>
    /// How long a lease outlives the request that holds it when that request stops renewing it (1 s to 5 min). A request
    /// renews its lease while it runs, every third of this time; this is how long the next request of the session waits
    /// when an app server dies holding a lease. 30 s: with 5 s, renewals fell behind on a busy machine under 32
    /// concurrent requests of one session and leases were lost (503s; see the README).
    /// </summary>
    public TimeSpan LeaseTtl { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a request waits for the lease of its session; null: <c>SessionOptions.IOTimeout</c> (1 minute by default).</summary>
    public TimeSpan? LeaseWait { get; set; }

    /// <summary>How sessions of the old provider are treated while moving over; null: there is no old provider (see docs/MIGRATION.md).</summary>
    public SessionMigrationPhase? Migration { get; set; }

    /// <summary>How the store reaches the session grains when not over HTTP; null: over HTTP (<see cref="BaseAddress"/>).</summary>
    public SessionClusterAccess? Cluster { get; private set; }

    /// <summary>
    /// The front end's token signing key (<c>Tokens:SigningKey</c>, base64 of at least 32 bytes): as an Orleans client the
    /// store issues and checks session tokens itself, exactly as the front end does. Required unless over HTTP.
    /// </summary>
    public string? SigningKey { get; set; }

    /// <summary>The front end's older keys whose tokens are still accepted (<c>Tokens:VerificationKeys</c>).</summary>
    public List<string> VerificationKeys { get; } = [];

    /// <summary>
    /// The fast path: the store is an Orleans client of the SessionGrains cluster (silos found through Redis, as the front
    /// end's client finds them): one grain call per load-and-lease and per commit-and-release, binary payloads, routed to
    /// the silo that hosts the session. Needs <see cref="SigningKey"/>.
    /// </summary>
    public SessionGrainsOptions UseCluster(string redis, string clusterId = SessionClusterAccess.DefaultId, string serviceId = SessionClusterAccess.DefaultId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(redis);
        Cluster = new SessionClusterAccess(SessionClusterKind.Redis, redis, 0, clusterId, serviceId);
        return this;
    }

    /// <summary>
    /// The fast path to a standalone front end on the same machine: an Orleans client of its co-hosted silo's gateway
    /// (<c>Cluster:GatewayPort</c>, 30000 by default; localhost only). Needs <see cref="SigningKey"/> (the standalone
    /// front end keeps it in <c>data/signing-key</c>).
    /// </summary>
    public SessionGrainsOptions UseStandalone(int gatewayPort = 30000, string clusterId = SessionClusterAccess.DefaultId, string serviceId = SessionClusterAccess.DefaultId)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(gatewayPort);
        Cluster = new SessionClusterAccess(SessionClusterKind.Localhost, null, gatewayPort, clusterId, serviceId);
        return this;
    }

    /// <summary>
    /// The fast path through the Orleans client (or co-hosted silo) the app has already (<c>IGrainFactory</c> from its
    /// services), connected to the SessionGrains cluster. Calls go to the session grain as Orleans routes them. Needs
    /// <see cref="SigningKey"/>.
    /// </summary>
    public SessionGrainsOptions UseOrleansClient()
    {
        Cluster = new SessionClusterAccess(SessionClusterKind.AppClient, null, 0, SessionClusterAccess.DefaultId, SessionClusterAccess.DefaultId);
        return this;
    }

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

/// <summary>How the store joins the SessionGrains cluster as an Orleans client.</summary>
public enum SessionClusterKind
{
    /// <summary>Its own client; the silos are found through Redis.</summary>
    Redis,

    /// <summary>Its own client of a standalone front end's gateway on this machine.</summary>
    Localhost,

    /// <summary>The app's own Orleans client or silo.</summary>
    AppClient,
}

/// <summary>Where the store finds the cluster: <see cref="SessionGrainsOptions.UseCluster"/> and its siblings.</summary>
public sealed record SessionClusterAccess(SessionClusterKind Kind, string? Redis, int GatewayPort, string ClusterId, string ServiceId)
{
    /// <summary>The service's default cluster and service id (<c>Cluster:ClusterId</c>, <c>Cluster:ServiceId</c>).</summary>
    public const string DefaultId = "session-grains";
}
