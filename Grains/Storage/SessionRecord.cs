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

        DiffEvents(delta, stored.Events, next.Events);

        // Entries are immutable and keyed: an entry of both ledgers is the same object, and a ledger keeps the order of the
        // entries it keeps (IdempotencyLedger.Record only drops and inserts), so one walk over both finds what is new and
        // what is gone. A new entry under a kept key overwrites its field, so only keys gone from the ledger are deleted:
        // with one entry per key in each ledger, a gone entry's key can be in the new ledger only as a new entry's (most
        // often the one new entry), so only those keys are compared. Entries under a local key (a standalone front end's
        // own) are never stored, so never deleted either.
        if (!ReferenceEquals(stored.Ledger, next.Ledger))
        {
            var old = stored.Ledger;
            Span<bool> kept = old.Length <= 256 ? stackalloc bool[old.Length] : new bool[old.Length];
            List<string>? added = null;
            var from = 0;
            foreach (var entry in next.Ledger)
            {
                var at = IndexOf(old, entry, from);
                if (at >= 0)
                {
                    kept[at] = true;
                    from = at + 1;
                    continue;
                }
                if (SessionKeys.IsLocalKey(entry.Key)) continue;
                (added ??= []).Add(entry.Key);
                delta.Put(LedgerPrefix + entry.Key, serializer.SerializeToArray(StoredAnswer.Of(entry)));
            }
            for (var i = 0; i < old.Length; i++)
            {
                // Lapsed or trimmed, unless its key was answered again.
                var key = old[i].Key;
                if (!kept[i] && !SessionKeys.IsLocalKey(key) && added?.Contains(key) != true) delta.Delete(LedgerPrefix + key);
            }
        }
        return delta;
    }

    /// <summary>The event fields appended, trimmed or replaced between two logs, both ordered by seq.</summary>
    private void DiffEvents(SessionDelta delta, List<SessionEvent> kept, List<SessionEvent> now)
    {
        if (Contiguous(kept) && Contiguous(now))
        {
            // What the event log keeps (one seq after the other, trimmed from the oldest): each event's place follows from
            // its seq, so the two logs are compared by reference without reading every event (a write's most frequent case).
            long keptFirst = kept[0].Seq, nowFirst = now[0].Seq, keptLast = keptFirst + kept.Count - 1, nowLast = nowFirst + now.Count - 1;
            for (var seq = keptFirst; seq <= keptLast; seq++)
            {
                if (seq < nowFirst || seq > nowLast) delta.Delete(EventField(seq));
                else if (!ReferenceEquals(kept[(int)(seq - keptFirst)], now[(int)(seq - nowFirst)])) AddEvent(delta, now[(int)(seq - nowFirst)]);
            }
            for (var seq = nowFirst; seq <= nowLast; seq++)
            {
                if (seq < keptFirst || seq > keptLast) AddEvent(delta, now[(int)(seq - nowFirst)]);
            }
            return;
        }
        // Otherwise a merge finds what was appended and what was trimmed.
        int i = 0, j = 0;
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
    }

    /// <summary>A non-empty log whose seqs follow one another (it is ordered by seq, each seq once).</summary>
    private static bool Contiguous(List<SessionEvent> log) => log.Count > 0 && log[^1].Seq - log[0].Seq == log.Count - 1;

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

    /// <summary>Where <paramref name="entry"/> itself (not an equal record) is in <paramref name="ledger"/> from <paramref name="from"/> on; -1 if absent.</summary>
    private static int IndexOf(LedgerEntry[] ledger, LedgerEntry entry, int from)
    {
        for (var i = from; i < ledger.Length; i++)
        {
            if (ReferenceEquals(ledger[i], entry)) return i;
        }
        return -1;
    }

    private void AddEvent(SessionDelta delta, SessionEvent e) => delta.Put(EventField(e.Seq), serializer.SerializeToArray(e));

    private static string EventField(long seq) => EventPrefix + seq.ToString(CultureInfo.InvariantCulture);
}
