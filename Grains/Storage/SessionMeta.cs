using SessionGrains.Interfaces;

namespace SessionGrains.Grains.Storage;

/// <summary>
/// The fields of <see cref="SessionState"/> other than data, events and ledger: the <c>m</c> field of a stored session,
/// written with every change. Times are UTC ticks (variable-length integers on the wire: about 40 bytes in all).
/// </summary>
[GenerateSerializer]
public sealed record SessionMeta
{
    [Id(0)] public long Version { get; init; }
    [Id(1)] public long CreatedAt { get; init; }
    [Id(2)] public long LastAccessAt { get; init; }
    [Id(3)] public long IdleTimeout { get; init; }
    [Id(4)] public long AbsoluteExpiry { get; init; }
    [Id(5)] public string? UserId { get; init; }
    [Id(6)] public long NextSeq { get; init; }
    [Id(7)] public SessionTombstone? Tombstone { get; init; }
    [Id(8)] public long? PurgeAfter { get; init; }
    [Id(9)] public string? AdoptedFrom { get; init; }
    [Id(10)] public bool OwnsJobs { get; init; }

    public static SessionMeta Of(SessionState s) => new()
    {
        Version = s.Version,
        CreatedAt = s.CreatedAt.UtcTicks,
        LastAccessAt = s.LastAccessAt.UtcTicks,
        IdleTimeout = s.IdleTimeout.Ticks,
        AbsoluteExpiry = s.AbsoluteExpiry.UtcTicks,
        UserId = s.UserId,
        NextSeq = s.NextSeq,
        Tombstone = s.Tombstone,
        PurgeAfter = s.PurgeAfter?.UtcTicks,
        AdoptedFrom = s.AdoptedFrom,
        OwnsJobs = s.OwnsJobs,
    };

    public SessionState ToState(Dictionary<string, string> data, List<SessionEvent> events, LedgerEntry[] ledger) => new()
    {
        Data = data,
        Version = Version,
        CreatedAt = Utc(CreatedAt),
        LastAccessAt = Utc(LastAccessAt),
        IdleTimeout = TimeSpan.FromTicks(IdleTimeout),
        AbsoluteExpiry = Utc(AbsoluteExpiry),
        UserId = UserId,
        NextSeq = NextSeq,
        Events = events,
        Tombstone = Tombstone,
        PurgeAfter = PurgeAfter is { } purge ? Utc(purge) : null,
        AdoptedFrom = AdoptedFrom,
        Ledger = ledger,
        OwnsJobs = OwnsJobs,
    };

    internal static DateTimeOffset Utc(long ticks) => new(ticks, TimeSpan.Zero);
}

/// <summary>
/// One stored entry of the idempotency ledger (an <c>l{key}</c> field; the key is the field's name). The answer is
/// kept in a field of its own type, so no type name is stored: about 40 bytes where the entry with its answer as an
/// object took 200. Only successful answers are recorded, and each operation has one of these four shapes.
/// </summary>
[GenerateSerializer]
public sealed record StoredAnswer
{
    [Id(0)] public required string Operation { get; init; }
    [Id(1)] public ulong Fingerprint { get; init; }
    [Id(2)] public long KeepUntil { get; init; }
    [Id(3)] public Written? Written { get; init; }
    [Id(4)] public Counted? Counted { get; init; }
    [Id(5)] public Published? Published { get; init; }
    [Id(6)] public SessionInfo? Info { get; init; }
    /// <summary>An answer of any other shape (none today), with its type.</summary>
    [Id(7)] public object? Other { get; init; }

    public static StoredAnswer Of(LedgerEntry entry)
    {
        var answer = new StoredAnswer { Operation = entry.Operation, Fingerprint = entry.Fingerprint, KeepUntil = entry.KeepUntil.UtcTicks };
        return entry.Reply switch
        {
            Reply<Written> { Succeeded: true } r => answer with { Written = r.Value },
            Reply<Counted> { Succeeded: true } r => answer with { Counted = r.Value },
            Reply<Published> { Succeeded: true } r => answer with { Published = r.Value },
            Reply<SessionInfo> { Succeeded: true } r => answer with { Info = r.Value },
            _ => answer with { Other = entry.Reply },
        };
    }

    public LedgerEntry ToEntry(string key)
    {
        object reply = Written is { } w ? (Reply<Written>)w
            : Counted is { } c ? (Reply<Counted>)c
            : Published is { } p ? (Reply<Published>)p
            : Info is { } i ? (Reply<SessionInfo>)i
            : Other!;
        return new LedgerEntry(key, Operation, Fingerprint, reply, SessionMeta.Utc(KeepUntil));
    }
}
