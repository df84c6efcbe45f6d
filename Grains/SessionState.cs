using SessionGrains.Interfaces;

namespace SessionGrains.Grains;

/// <summary>The persisted state of one session.</summary>
[GenerateSerializer]
public sealed class SessionState : IExpiringState
{
    /// <summary>Key to JSON text.</summary>
    [Id(0)] public Dictionary<string, string> Data { get; set; } = new(StringComparer.Ordinal);
    [Id(1)] public long Version { get; set; }
    [Id(2)] public DateTimeOffset CreatedAt { get; set; }
    /// <summary>Last access as last written; the live value is kept in memory (see SessionGrain).</summary>
    [Id(3)] public DateTimeOffset LastAccessAt { get; set; }
    [Id(4)] public TimeSpan IdleTimeout { get; set; }
    [Id(5)] public DateTimeOffset AbsoluteExpiry { get; set; }
    [Id(6)] public string? UserId { get; set; }
    /// <summary>Sequence number the next event gets.</summary>
    [Id(7)] public long NextSeq { get; set; } = 1;
    /// <summary>Most recent events, oldest first, for WebSocket resume.</summary>
    [Id(8)] public List<SessionEvent> Events { get; set; } = [];
    /// <summary>Most recent write outcomes by idempotency key, oldest first.</summary>
    [Id(9)] public List<IdempotentOutcome> Outcomes { get; set; } = [];
    /// <summary>Set when the session was deleted or rotated: the id is dead; kept only to answer retries.</summary>
    [Id(10)] public SessionTombstone? Tombstone { get; set; }
    /// <summary>When storage may drop this record without asking the grain.</summary>
    [Id(11)] public DateTimeOffset? PurgeAfter { get; set; }
    /// <summary>Id of the session this one was rotated from, so that a repeated hand-over applies once.</summary>
    [Id(12)] public string? AdoptedFrom { get; set; }

    public bool Exists => Version > 0 && Tombstone is null;

    public DateTimeOffset ExpiresAt(DateTimeOffset lastAccess)
    {
        var idle = lastAccess + IdleTimeout;
        return idle < AbsoluteExpiry ? idle : AbsoluteExpiry;
    }

    public SessionState Copy() => new()
    {
        Data = new Dictionary<string, string>(Data, StringComparer.Ordinal),
        Version = Version,
        CreatedAt = CreatedAt,
        LastAccessAt = LastAccessAt,
        IdleTimeout = IdleTimeout,
        AbsoluteExpiry = AbsoluteExpiry,
        UserId = UserId,
        NextSeq = NextSeq,
        Events = [.. Events],
        Outcomes = [.. Outcomes],
        Tombstone = Tombstone,
        PurgeAfter = PurgeAfter,
        AdoptedFrom = AdoptedFrom,
    };
}
