using SessionGrains.Grains.Storage;
using SessionGrains.Interfaces;

namespace SessionGrains.Grains;

/// <summary>
/// The persisted state of one session: the one place that lists its fields. A committed state is never changed:
/// an operation builds the next state (<c>with</c>, and new collections where they change) and the grain swaps it in
/// once storage has it, so a failed write leaves the previous state in force untouched.
/// </summary>
[GenerateSerializer]
public sealed record SessionState : IExpiringState
{
    /// <summary>Key to JSON text.</summary>
    [Id(0)] public Dictionary<string, string> Data { get; init; } = new(StringComparer.Ordinal);
    [Id(1)] public long Version { get; init; }
    [Id(2)] public DateTimeOffset CreatedAt { get; init; }
    /// <summary>Last access as last written; the live value is kept in memory (see SessionGrain).</summary>
    [Id(3)] public DateTimeOffset LastAccessAt { get; init; }
    [Id(4)] public TimeSpan IdleTimeout { get; init; }
    [Id(5)] public DateTimeOffset AbsoluteExpiry { get; init; }
    [Id(6)] public string? UserId { get; init; }
    /// <summary>Sequence number the next event gets.</summary>
    [Id(7)] public long NextSeq { get; init; } = 1;
    /// <summary>Most recent events, oldest first, for WebSocket resume (see <see cref="EventLog"/>).</summary>
    [Id(8)] public List<SessionEvent> Events { get; init; } = [];
    // Id(9) held idempotency outcomes in an earlier format; such data is skipped when read.
    /// <summary>Set when the session was deleted or rotated: the id is dead; kept only to answer retries.</summary>
    [Id(10)] public SessionTombstone? Tombstone { get; init; }
    /// <summary>When storage may drop this record without asking the grain.</summary>
    [Id(11)] public DateTimeOffset? PurgeAfter { get; init; }
    /// <summary>Id of the session this one was rotated from, so that a repeated hand-over applies once.</summary>
    [Id(12)] public string? AdoptedFrom { get; init; }
    /// <summary>Recent write outcomes by idempotency key, in the order they lapse (see <see cref="IdempotencyLedger"/>).</summary>
    [Id(13)] public LedgerEntry[] Ledger { get; init; } = [];
    /// <summary>The session started a job (issue 12): its end discards its jobs. Numbered apart from other additions.</summary>
    [Id(40)] public bool OwnsJobs { get; init; }

    /// <summary>The state of a session that was never created, or was forgotten: shared, since states are never changed.</summary>
    public static readonly SessionState None = new();

    public bool Exists => Version > 0 && Tombstone is null;

    public DateTimeOffset ExpiresAt(DateTimeOffset lastAccess)
    {
        var idle = lastAccess + IdleTimeout;
        return idle < AbsoluteExpiry ? idle : AbsoluteExpiry;
    }

    /// <summary>What is left once the session is deleted or rotated: its log, ledger and timing, no data.</summary>
    public SessionState Tombstoned(string? rotatedTo, DateTimeOffset now) => this with
    {
        Data = new(StringComparer.Ordinal),
        Version = Version + 1,
        Tombstone = new SessionTombstone(rotatedTo, ExpiresAt(now)),
        AdoptedFrom = null,
    };

    /// <summary>The first state of a session made from <paramref name="transfer"/> (rotation).</summary>
    public static SessionState From(SessionTransfer transfer) => new()
    {
        Data = new Dictionary<string, string>(transfer.Data, StringComparer.Ordinal),
        Version = transfer.Version,
        CreatedAt = transfer.CreatedAt,
        IdleTimeout = transfer.IdleTimeout,
        AbsoluteExpiry = transfer.AbsoluteExpiry,
        UserId = transfer.UserId,
        NextSeq = transfer.NextSeq,
        AdoptedFrom = transfer.FromId,
    };

    /// <summary>What a rotation hands to the new id.</summary>
    public SessionTransfer ToTransfer(string fromId) => new(fromId, Data, Version, CreatedAt, IdleTimeout, AbsoluteExpiry, UserId, NextSeq);
}
