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
    public static bool TryReplay<T>(IReadOnlyList<LedgerEntry> ledger, string? key, string operation, ulong fingerprint, DateTimeOffset now, out Reply<T> reply)
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
        foreach (var entry in ledger)
        {
            if (entry.KeepUntil > now) kept++;
        }
        // Nothing to add and nothing expired: the same (immutable) array serves the next state; an empty ledger costs nothing.
        if (key is null && kept == ledger.Length) return ledger;

        var next = new List<LedgerEntry>(kept + 1);
        foreach (var entry in ledger)
        {
            // One entry per key (storage keeps the ledger by key): a new answer under a key replaces the old one.
            if (entry.KeepUntil > now && entry.Key != key) next.Add(entry);
        }
        if (key is not null)
        {
            var window = SessionKeys.IsFrontEndKey(key) ? rules.FrontEndIdempotencyWindow : rules.IdempotencyWindow;
            // Kept in the order entries lapse, which is also the order storage gives them back (SessionRecord).
            var keepUntil = now + window;
            var at = next.Count;
            while (at > 0 && next[at - 1].KeepUntil > keepUntil) at--;
            next.Insert(at, new LedgerEntry(key, operation, fingerprint, reply, keepUntil));
            if (next.Count > rules.IdempotencyKeysKept) next.RemoveRange(0, next.Count - rules.IdempotencyKeysKept);
        }
        return [.. next];
    }

    /// <summary>A stable 64-bit fingerprint of a request's arguments (the same on every silo and across restarts).</summary>
    public static ulong Fingerprint(params ReadOnlySpan<string?> parts)
    {
        var hash = new XxHash3();
        Span<byte> separator = [0xFF, 0xFE];
        foreach (var part in parts)
        {
            if (part is not null) hash.Append(MemoryMarshal.AsBytes(part.AsSpan()));
            hash.Append(separator);
        }
        return hash.GetCurrentHashAsUInt64();
    }
}
