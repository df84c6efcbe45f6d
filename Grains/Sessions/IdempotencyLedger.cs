using System.IO.Hashing;
using System.Runtime.InteropServices;
using SessionGrains.Interfaces;

namespace SessionGrains.Grains;

/// <summary>
/// Remembers the answer of each write made under an idempotency key, so that a retry gets the first answer and is not
/// applied twice. An entry belongs to one operation and request (a fingerprint of its arguments): the same key on another
/// operation or with another body is refused, never answered with someone else's outcome. Pure: lists are never changed.
/// </summary>
public static class IdempotencyLedger
{
    /// <summary>
    /// True when <paramref name="key"/> has an answer: <paramref name="reply"/> is the stored answer, or the failure
    /// <see cref="SessionStatus.IdempotencyKeyReused"/> when the key was used for a different request.
    /// </summary>
    public static bool TryReplay<T>(LedgerEntry[] ledger, string? key, string operation, ulong fingerprint, DateTimeOffset now, out Reply<T> reply)
        where T : class => TryReplay(LedgerKeys.Of(ledger), key, operation, fingerprint, now, out reply);

    /// <inheritdoc cref="TryReplay{T}(LedgerEntry[], string?, string, ulong, DateTimeOffset, out Reply{T})"/>
    public static bool TryReplay<T>(LedgerKeys ledger, string? key, string operation, ulong fingerprint, DateTimeOffset now, out Reply<T> reply)
        where T : class
    {
        reply = default;
        if (key is null) return false;
        var hash = LedgerKeys.Hash(key);
        for (var i = ledger.IndexOf(key, hash, 0); i >= 0; i = ledger.IndexOf(key, hash, i + 1))
        {
            var entry = ledger.Entries[i];
            if (entry.KeepUntil <= now) continue;
            reply = entry.Operation == operation && entry.Fingerprint == fingerprint && entry.Reply is Reply<T> stored
                ? stored
                : new SessionFailure(SessionStatus.IdempotencyKeyReused,
                    $"Idempotency-Key '{key}' was already used for a different request ({entry.Operation}); use a new key for a new request.");
            return true;
        }
        return false;
    }

    /// <summary>
    /// The ledger without expired entries, plus the answer under <paramref name="key"/> (if any), at most the configured
    /// length: past it, the earlier entries that lapse first go first (never the answer recorded now).
    /// </summary>
    public static LedgerEntry[] Record(LedgerEntry[] ledger, string? key, string operation, ulong fingerprint, object reply, DateTimeOffset now, SessionRules rules) =>
        Record(LedgerKeys.Of(ledger), key, operation, fingerprint, reply, now, rules).Entries;

    /// <inheritdoc cref="Record(LedgerEntry[], string?, string, ulong, object, DateTimeOffset, SessionRules)"/>
    public static LedgerKeys Record(LedgerKeys ledger, string? key, string operation, ulong fingerprint, object reply, DateTimeOffset now, SessionRules rules)
    {
        var entries = ledger.Entries;
        // The ledger is in the order entries lapse (LedgerKeys.Of sees to it): the expired ones come first.
        var first = 0;
        while (first < entries.Length && entries[first].KeepUntil <= now) first++;
        // Nothing to add and nothing expired: the same (immutable) ledger serves the next state; an empty one costs nothing.
        if (key is null && first == 0) return ledger;

        // One entry per key (storage keeps the ledger by key): a new answer under a key replaces the old one. Past the
        // configured length, the earlier entries that lapse first go first (the ledger is in the order entries lapse),
        // never the new one: a front end's key lapses before clients' keys, and was dropped at once from a full ledger.
        var hash = key is null ? 0 : LedgerKeys.Hash(key);
        var replaced = key is null ? -1 : ledger.IndexOf(key, hash, first);
        var keepUntil = key is null ? default : now + (SessionKeys.IsFrontEndKey(key) ? rules.FrontEndIdempotencyWindow : rules.IdempotencyWindow);
        // The new entry goes after every entry that lapses no later than it does: nearly always the end (the same window).
        var insertAt = entries.Length;
        while (key is not null && insertAt > first && entries[insertAt - 1].KeepUntil > keepUntil) insertAt--;
        var count = entries.Length - first - (replaced >= 0 ? 1 : 0) + (key is null ? 0 : 1);
        var skip = Math.Max(0, count - rules.IdempotencyKeysKept);
        var next = new LedgerKeys.Builder(count - skip, skip);
        for (var i = first; i < entries.Length; i++)
        {
            if (i == insertAt) next.PutNew(new LedgerEntry(key!, operation, fingerprint, reply, keepUntil), hash);
            if (i != replaced) next.Put(entries[i], ledger.Hashes[i]);
        }
        if (key is not null && insertAt == entries.Length) next.PutNew(new LedgerEntry(key, operation, fingerprint, reply, keepUntil), hash);
        return next.Build();
    }

    [ThreadStatic] private static XxHash3? _hasher;

    /// <summary>A stable 64-bit fingerprint of a request's arguments (the same on every silo and across restarts).</summary>
    public static ulong Fingerprint(params ReadOnlySpan<string?> parts)
    {
        var hash = Hasher();
        foreach (var part in parts)
        {
            if (part is not null) hash.Append(MemoryMarshal.AsBytes(part.AsSpan()));
            hash.Append(Separator);
        }
        return hash.GetCurrentHashAsUInt64();
    }

    /// <summary>The thread's hasher, reset: a new one is a 600-byte object on every write.</summary>
    private static XxHash3 Hasher()
    {
        var hash = _hasher ??= new XxHash3();
        hash.Reset();
        return hash;
    }

    private static ReadOnlySpan<byte> Separator => [0xFF, 0xFE];

    /// <summary>
    /// The fingerprint of a patch given as its members (<see cref="SessionCalls.CommitChanges"/>): each key and value, a
    /// removal marked apart from any value. Not the fingerprint of the patch's text: the two forms are separate requests.
    /// </summary>
    public static ulong Fingerprint(IReadOnlyList<KeyValuePair<string, string?>> members)
    {
        var hash = Hasher();
        ReadOnlySpan<byte> removed = [0xFD, 0xFC];
        foreach (var (key, json) in members)
        {
            hash.Append(MemoryMarshal.AsBytes(key.AsSpan()));
            hash.Append(Separator);
            hash.Append(json is null ? removed : MemoryMarshal.AsBytes(json.AsSpan()));
            hash.Append(Separator);
        }
        return hash.GetCurrentHashAsUInt64();
    }
}
