using System.Globalization;
using System.Text;
using Orleans.Serialization;
using SessionGrains.Interfaces;

namespace SessionGrains.Grains.Storage;

/// <summary>
/// The stored layout of one session (issue 18): a record of named fields, so that a write sends storage only the fields
/// it changed instead of the whole session. Both backends keep the same fields (Redis: one hash per session; SQLite: one
/// row per field):
/// <list type="bullet">
/// <item><c>m</c>: the metadata (<see cref="SessionMeta"/>: version, times, user, next seq, tombstone, purge time);</item>
/// <item><c>d{key}</c>: one data value, its JSON text as UTF-8;</item>
/// <item><c>e{seq}</c>: one event of the log;</item>
/// <item><c>l{idempotency key}</c>: one entry of the idempotency ledger.</item>
/// </list>
/// The revision that makes writes conditional is kept by each backend beside the fields. Metadata, events and ledger
/// entries are encoded with Orleans' serializer, which carries versioned field ids, so they stay readable as types grow.
/// </summary>
public sealed class SessionRecord(Serializer serializer)
{
    public const string MetaField = "m";
    public const char DataPrefix = 'd';
    public const char EventPrefix = 'e';
    public const char LedgerPrefix = 'l';

    /// <summary>
    /// The fields that turn the stored state <paramref name="stored"/> into <paramref name="next"/>: the metadata always,
    /// then each data value, event and ledger entry that is new or changed, and the names of those that are gone.
    /// States are immutable, so an unchanged value is usually the same object and is skipped without comparing bytes.
    /// </summary>
    public SessionDelta Diff(SessionState stored, SessionState next)
    {
        var delta = new SessionDelta(next.PurgeAfter);
        delta.Put(MetaField, serializer.SerializeToArray(SessionMeta.Of(next)));

        foreach (var (key, json) in next.Data)
        {
            if (stored.Data.TryGetValue(key, out var before) && (ReferenceEquals(before, json) || before == json)) continue;
            delta.Put(DataPrefix + key, Encoding.UTF8.GetBytes(json));
        }
        foreach (var (key, _) in stored.Data)
        {
            if (!next.Data.ContainsKey(key)) delta.Delete(DataPrefix + key);
        }

        // Both logs are ordered by seq: a merge finds what was appended and what was trimmed.
        int i = 0, j = 0;
        var kept = stored.Events;
        var now = next.Events;
        while (i < kept.Count || j < now.Count)
        {
            if (j >= now.Count || (i < kept.Count && kept[i].Seq < now[j].Seq)) delta.Delete(EventField(kept[i++].Seq));
            else if (i >= kept.Count || now[j].Seq < kept[i].Seq) AddEvent(delta, now[j++]);
            else
            {
                if (!ReferenceEquals(kept[i], now[j])) AddEvent(delta, now[j]);
                i++;
                j++;
            }
        }

        // Entries are immutable and keyed: an entry of both ledgers is the same object, and a ledger keeps the order of the
        // entries it keeps (IdempotencyLedger.Record only drops and inserts), so one walk over both finds what is new and
        // what is gone. A new entry under a kept key overwrites its field, so only keys gone from the ledger are deleted.
        // Entries under a local key (a standalone front end's own) are never stored, so never deleted either.
        if (!ReferenceEquals(stored.Ledger, next.Ledger))
        {
            var old = stored.Ledger;
            var from = 0;
            foreach (var entry in next.Ledger)
            {
                var at = IndexOf(old, entry, from);
                if (at < 0)
                {
                    if (!SessionKeys.IsLocalKey(entry.Key)) delta.Put(LedgerPrefix + entry.Key, serializer.SerializeToArray(StoredAnswer.Of(entry)));
                    continue;
                }
                DeleteGone(delta, old, from, at, next.Ledger);
                from = at + 1;
            }
            DeleteGone(delta, old, from, old.Length, next.Ledger);
        }
        return delta;
    }

    /// <summary>Every field of <paramref name="state"/>: what a record is written with when it has no stored fields yet.</summary>
    public SessionDelta Full(SessionState state) => Diff(SessionState.None, state);

    /// <summary>The state a record's fields describe; null when the record has no metadata (nothing stored).</summary>
    public SessionState? Read(IEnumerable<KeyValuePair<string, ReadOnlyMemory<byte>>> fields)
    {
        SessionMeta? meta = null;
        var data = new Dictionary<string, string>(StringComparer.Ordinal);
        var events = new List<SessionEvent>();
        var ledger = new List<LedgerEntry>();
        foreach (var (name, value) in fields)
        {
            if (name == MetaField) meta = serializer.Deserialize<SessionMeta>(value.Span);
            else if (name.Length == 0) continue;
            else if (name[0] == DataPrefix) data[name[1..]] = Encoding.UTF8.GetString(value.Span);
            else if (name[0] == EventPrefix) events.Add(serializer.Deserialize<SessionEvent>(value.Span)!);
            else if (name[0] == LedgerPrefix) ledger.Add(serializer.Deserialize<StoredAnswer>(value.Span)!.ToEntry(name[1..]));
        }
        if (meta is null) return null;
        events.Sort(static (a, b) => a.Seq.CompareTo(b.Seq));
        // The ledger is trimmed from its oldest entry; stored entries come back in the order they lapse.
        ledger.Sort(static (a, b) => a.KeepUntil.CompareTo(b.KeepUntil));
        return meta.ToState(data, events, [.. ledger]);
    }

    /// <summary>Deletes the fields of <paramref name="old"/>[from..to), entries that lapsed or were trimmed, unless their key was answered again.</summary>
    private static void DeleteGone(SessionDelta delta, LedgerEntry[] old, int from, int to, LedgerEntry[] next)
    {
        for (var i = from; i < to; i++)
        {
            if (!SessionKeys.IsLocalKey(old[i].Key) && !HasKey(next, old[i].Key)) delta.Delete(LedgerPrefix + old[i].Key);
        }
    }

    /// <summary>Where <paramref name="entry"/> itself (not an equal record) is in <paramref name="ledger"/> from <paramref name="from"/> on; -1 if absent.</summary>
    private static int IndexOf(LedgerEntry[] ledger, LedgerEntry entry, int from)
    {
        for (var i = from; i < ledger.Length; i++)
        {
            if (ReferenceEquals(ledger[i], entry)) return i;
        }
        return -1;
    }

    private static bool HasKey(LedgerEntry[] ledger, string key)
    {
        foreach (var entry in ledger)
        {
            if (entry.Key == key) return true;
        }
        return false;
    }

    private void AddEvent(SessionDelta delta, SessionEvent e) => delta.Put(EventField(e.Seq), serializer.SerializeToArray(e));

    private static string EventField(long seq) => EventPrefix + seq.ToString(CultureInfo.InvariantCulture);
}

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
