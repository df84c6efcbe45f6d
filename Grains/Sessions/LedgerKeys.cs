namespace SessionGrains.Grains;

/// <summary>
/// An idempotency ledger with the hash of each entry's key beside it. Looking a key up reads this one small array and
/// only the entries whose hash matches, instead of every entry and its key string: with a full ledger that was the
/// largest piece of a write's own work (each entry and each key a cache miss). Not state: a session's state holds the
/// entries only, and the hashes (per process) are built from them when missing. The entries are in the order they lapse.
/// </summary>
public sealed class LedgerKeys
{
    private LedgerKeys(LedgerEntry[] entries, int[] hashes)
    {
        Entries = entries;
        Hashes = hashes;
    }

    public LedgerEntry[] Entries { get; }

    internal int[] Hashes { get; }

    /// <summary>The ledger <paramref name="entries"/> with its key hashes; entries out of lapse order are put in it (a copy).</summary>
    public static LedgerKeys Of(LedgerEntry[] entries)
    {
        for (var i = 1; i < entries.Length; i++)
        {
            if (entries[i - 1].KeepUntil > entries[i].KeepUntil)
            {
                // Records keep the order; a ledger from elsewhere might not: a stable sort, as storage reads sort.
                entries = [.. entries.OrderBy(e => e.KeepUntil)];
                break;
            }
        }
        var hashes = new int[entries.Length];
        for (var i = 0; i < entries.Length; i++) hashes[i] = Hash(entries[i].Key);
        return new LedgerKeys(entries, hashes);
    }

    internal static int Hash(string key) => key.GetHashCode(StringComparison.Ordinal);

    /// <summary>Where an entry under <paramref name="key"/> is from <paramref name="from"/> on, expired or not; -1 if none.</summary>
    internal int IndexOf(string key, int hash, int from)
    {
        var hashes = Hashes;
        for (var i = from; i < hashes.Length; i++)
        {
            if (hashes[i] == hash && Entries[i].Key == key) return i;
        }
        return -1;
    }

    /// <summary>
    /// Fills a new ledger, leaving out the first <c>skip</c> earlier entries put (the ones over the length, those that
    /// lapse first). The entry being recorded is never one of them (<see cref="PutNew"/>): its write's retry is the
    /// likeliest of all, even when it lapses before every other entry (a front end's key among clients' keys).
    /// </summary>
    internal struct Builder(int length, int skip)
    {
        private readonly LedgerEntry[] _entries = new LedgerEntry[length];
        private readonly int[] _hashes = new int[length];
        private int _at;
        private int _skip = skip;

        public void Put(LedgerEntry entry, int hash)
        {
            if (_skip > 0) _skip--;
            else Append(entry, hash);
        }

        /// <summary>Puts the entry being recorded; left out only when the ledger keeps nothing at all.</summary>
        public void PutNew(LedgerEntry entry, int hash)
        {
            if (_entries.Length > 0) Append(entry, hash);
        }

        private void Append(LedgerEntry entry, int hash)
        {
            _entries[_at] = entry;
            _hashes[_at++] = hash;
        }

        public readonly LedgerKeys Build() => new(_entries, _hashes);
    }
}
