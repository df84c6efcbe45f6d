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
    public static bool TryReplay<T>(ReadOnlySpan<LedgerEntry> ledger, string? key, string operation, ulong fingerprint, DateTimeOffset now, out Reply<T> reply)
        where T : class
    {
        reply = default;
        if (key is null) return false;
        foreach (var entry in ledger)
        {
            if (entry.Key != key || entry.KeepUntil <= now) continue;
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
    /// length: past it, the entries that lapse first go first.
    /// </summary>
    public static LedgerEntry[] Record(LedgerEntry[] ledger, string? key, string operation, ulong fingerprint, object reply, DateTimeOffset now, SessionRules rules)
    {
        var kept = 0;
        var replaced = false;
        foreach (var entry in ledger)
        {
            if (entry.KeepUntil <= now) continue;
            kept++;
            replaced |= entry.Key == key;
        }
        // Nothing to add and nothing expired: the same (immutable) array serves the next state; an empty ledger costs nothing.
        if (key is null && kept == ledger.Length) return ledger;

        // One entry per key (storage keeps the ledger by key): a new answer under a key replaces the old one. Past the
        // configured length, the entries that lapse first go first (the oldest: the ledger is in the order entries lapse).
        var keepUntil = key is null ? default : now + (SessionKeys.IsFrontEndKey(key) ? rules.FrontEndIdempotencyWindow : rules.IdempotencyWindow);
        var count = kept - (replaced ? 1 : 0) + (key is null ? 0 : 1);
        var skip = Math.Max(0, count - rules.IdempotencyKeysKept);
        var next = new LedgerEntry[count - skip];
        var at = 0;
        var added = key is null;
        foreach (var entry in ledger)
        {
            if (entry.KeepUntil <= now || entry.Key == key) continue;
            // Kept in the order entries lapse, which is also the order storage gives them back (SessionRecord).
            if (!added && entry.KeepUntil > keepUntil)
            {
                Put(next, ref at, ref skip, new LedgerEntry(key!, operation, fingerprint, reply, keepUntil));
                added = true;
            }
            Put(next, ref at, ref skip, entry);
        }
        if (!added) Put(next, ref at, ref skip, new LedgerEntry(key!, operation, fingerprint, reply, keepUntil));
        return next;
    }

    /// <summary>Appends <paramref name="entry"/> unless it is one of the first <paramref name="skip"/> (over the length).</summary>
    private static void Put(LedgerEntry[] next, ref int at, ref int skip, LedgerEntry entry)
    {
        if (skip > 0) skip--;
        else next[at++] = entry;
    }

    [ThreadStatic] private static XxHash3? _hasher;

    /// <summary>A stable 64-bit fingerprint of a request's arguments (the same on every silo and across restarts).</summary>
    public static ulong Fingerprint(params ReadOnlySpan<string?> parts)
    {
        // One hasher per thread, reset for each use: a new one is a 600-byte object on every write.
        var hash = _hasher ??= new XxHash3();
        hash.Reset();
        Span<byte> separator = [0xFF, 0xFE];
        foreach (var part in parts)
        {
            if (part is not null) hash.Append(MemoryMarshal.AsBytes(part.AsSpan()));
            hash.Append(separator);
        }
        return hash.GetCurrentHashAsUInt64();
    }
}
