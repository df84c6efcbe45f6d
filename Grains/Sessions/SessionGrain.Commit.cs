using SessionGrains.Interfaces;

namespace SessionGrains.Grains;

// Changes and their commit: a new state with its ledger entry and storage stamps, written through (SessionGrain.Storage.cs).
public sealed partial class SessionGrain
{
    /// <summary>
    /// A data change: admission, the rule, then the commit of a new version. Under <paramref name="releasing"/> (a commit
    /// that ends its lease), the lease goes once the change is stored; a refused change keeps it, for a retry or a release.
    /// </summary>
    private async Task<Reply<Written>> Change(SessionWrite write, string operation, ulong fingerprint, Func<Reply<DataChange>> rule, string? releasing = null)
    {
        await Gate();
        if (await EnterWrite<Written>(write, operation, fingerprint) is { } refused) return refused;
        var change = rule();
        if (!change.Succeeded) return change.Failure;
        // An empty merge patch changes nothing: no new version, nothing stored.
        if (change.Value.IsEmpty)
        {
            if (releasing is not null) ReleaseHeldLease(releasing);
            return new Written(S.Version);
        }
        // Commit's work in this method's own turn: a data change is the most frequent write (every page of the drop-in
        // store), and one state built with its ledger and storage stamps is one copy where Changed, Commit and Persist made three.
        var now = _lastAccess;
        var reply = new Written(S.Version + 1);
        await Persist(Changed(change.Value, now, Recorded(S.Ledger, now, write.IdempotencyKey, operation, fingerprint, (Reply<Written>)reply)));
        if (releasing is not null) ReleaseHeldLease(releasing);
        return reply;
    }

    /// <summary>
    /// The next state after <paramref name="change"/> at <paramref name="now"/>: its data, a new version and its event, the
    /// ledger <paramref name="ledger"/> and the storage stamps, in one copy (<see cref="Persist"/> then copies nothing).
    /// </summary>
    private SessionState Changed(DataChange change, DateTimeOffset now, LedgerEntry[] ledger)
    {
        var version = S.Version + 1;
        return S with
        {
            Data = change.Data,
            Version = version,
            Events = EventLog.Appended(S, SessionEventKind.Changed, version, change.Keys, null, _rules),
            NextSeq = S.NextSeq + 1,
            LastAccessAt = now,
            Ledger = ledger,
            PurgeAfter = NewSession.PurgeAfter(S, now, _rules),
        };
    }

    /// <summary>
    /// Writes <paramref name="next"/> through to storage with <paramref name="reply"/> in the idempotency ledger; the
    /// write pushes the new events to subscribers once stored. On a storage failure the call fails and nothing of it stays.
    /// </summary>
    private async Task<T> Commit<T>(SessionState next, DateTimeOffset now, string? idempotencyKey, string operation, ulong fingerprint, T reply)
        where T : class
    {
        next = next with { LastAccessAt = now, Ledger = Recorded(next.Ledger, now, idempotencyKey, operation, fingerprint, (Reply<T>)reply) };
        await Persist(next);
        if (now > _lastAccess) _lastAccess = now;
        return reply;
    }

    /// <summary><paramref name="ledger"/> with <paramref name="reply"/> recorded under <paramref name="idempotencyKey"/>; its key hashes are kept for the next lookup.</summary>
    private LedgerEntry[] Recorded(LedgerEntry[] ledger, DateTimeOffset now, string? idempotencyKey, string operation, ulong fingerprint, object reply)
    {
        var recorded = IdempotencyLedger.Record(KeysOf(ledger), idempotencyKey, operation, fingerprint, reply, now, _rules);
        _ledgerKeys = recorded;
        return recorded.Entries;
    }

    /// <summary>The key hashes of <paramref name="ledger"/>: those of the last ledger recorded or looked at, built when another is asked for.</summary>
    private LedgerKeys KeysOf(LedgerEntry[] ledger) =>
        _ledgerKeys is { } keys && ReferenceEquals(keys.Entries, ledger) ? keys : _ledgerKeys = LedgerKeys.Of(ledger);
}
