using System.Text.Json;

namespace SessionGrains.Http;

/// <summary>What <c>POST /sessions</c> takes: initial data (key to any JSON-serializable value) and the idle timeout.</summary>
public sealed record CreateSessionRequest
{
    /// <summary>Initial data; every key must be 1-128 characters of <c>A-Z a-z 0-9 _ - . :</c>.</summary>
    public IReadOnlyDictionary<string, object?>? Data { get; init; }

    /// <summary>Idle timeout (whole seconds, 1 s to 7 days); null takes the service's default (30 minutes).</summary>
    public TimeSpan? IdleTimeout { get; init; }
}

/// <summary>A created (or rotated) session: its id, its bearer token and version.</summary>
public sealed record CreatedSession(string Id, string Token, long Version, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt);

/// <summary>A whole session as <c>GET /sessions/current</c> shows it.</summary>
public sealed record SessionSnapshot(
    string Id, long Version, DateTimeOffset CreatedAt, DateTimeOffset LastAccessAt, DateTimeOffset ExpiresAt, string? UserId,
    IReadOnlyDictionary<string, JsonElement> Data);

/// <summary>A counter's value after an increment, and the session version.</summary>
public sealed record CounterValue(long Value, long Version);

/// <summary>Where the session grain is active now.</summary>
public sealed record SessionPlacement(string Silo, DateTimeOffset ActivatedAt);

/// <summary>A granted request lease and the session as it stood when it was granted.</summary>
public sealed record SessionLease(string LeaseId, DateTimeOffset ExpiresAt, SessionSnapshot Session);

/// <summary>Conditions of one write. Every write carries an idempotency key: this one, or one the client makes per call.</summary>
public sealed record WriteOptions
{
    /// <summary>Apply only if the session is at this version (<c>If-Match</c>); otherwise <see cref="VersionMismatchException"/>.</summary>
    public long? IfMatch { get; init; }

    /// <summary>The idempotency key of this logical write (1-64 printable ASCII); null: a new one per call, kept across its retries.</summary>
    public string? IdempotencyKey { get; init; }

    /// <summary>The request lease the write is made under (<c>Session-Lease</c>); refused with <see cref="LeaseLostException"/> if not in force.</summary>
    public string? LeaseId { get; init; }
}

/// <summary>How to acquire a lease: its id (retry-safe when set), time to live and how long to wait for it.</summary>
public sealed record LeaseRequest
{
    /// <summary>The lease id; null: a new random one per call.</summary>
    public string? LeaseId { get; init; }

    /// <summary>How long the lease is guaranteed (1-300 s); null: 30 s.</summary>
    public TimeSpan? Ttl { get; init; }

    /// <summary>How long one acquire waits while another request holds the lease; null: the service's maximum (9 s by default).</summary>
    public TimeSpan? Wait { get; init; }
}
