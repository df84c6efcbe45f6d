using SessionGrains.Interfaces;

namespace SessionGrains.Grains;

// The request lease: a per-session lock that serializes the read-modify-write of requests holding it (the
// ASP.NET Core session provider takes it for each request). It lives in memory only: a new activation (after a
// silo failure or deactivation) holds no lease, and writes under a lease it does not know are refused, never applied.
public sealed partial class SessionGrain
{
    /// <summary>Longest pause of a waiting acquire between looks at the lease, a safety net behind the hand-overs.</summary>
    private static readonly TimeSpan LeasePoll = TimeSpan.FromSeconds(1);

    /// <summary>Shortest pause of a waiting acquire: it must yield, or a write holding back the hand-over could never finish.</summary>
    private static readonly TimeSpan LeaseRecheck = TimeSpan.FromMilliseconds(20);

    private LeaseQueue? _leaseQueue;

    /// <summary>
    /// The lease queue, for the grain's own turns: the lease offered to callers in this process comes back first (or
    /// the grain learns who took it), so nothing changes the queue behind a turn's back (see SessionGrain.Local.cs).
    /// </summary>
    private LeaseQueue? Lease
    {
        get
        {
            WithdrawOffer();
            return _leaseQueue;
        }
        set
        {
            WithdrawOffer();
            _leaseQueue = value;
        }
    }

    public async Task<Reply<LeaseGranted>> AcquireLease(string leaseId, TimeSpan ttl, TimeSpan wait, CancellationToken cancellationToken)
    {
        // This call interleaves with every other call of the grain, so it never writes state: it only reads the
        // committed state when a lease is granted (see HandOverLease), and otherwise waits in memory.
        if (Admission.Throttle(ref _bucket, _rules) is { } throttled) return throttled;
        if (!SessionLeases.IsValidId(leaseId)) return new SessionFailure(SessionStatus.InvalidArgument, SessionLeases.IdRule);
        if (ttl <= TimeSpan.Zero || ttl > SessionLeases.MaxTtl || wait < TimeSpan.Zero)
            return new SessionFailure(SessionStatus.InvalidArgument, $"A lease lives 0-{SessionLeases.MaxTtl.TotalSeconds:0} seconds; the wait must not be negative.");
        await Loaded();
        var now = _clock.GetUtcNow();
        // Liveness without side effects: the next ordinary call ends an expired session.
        if (!S.Exists || now >= S.ExpiresAt(_lastAccess)) return Admission.NotFound;
        _lastAccess = now;

        Lease ??= new LeaseQueue();
        var waiter = Lease.Join(leaseId, ttl);
        HandOverLease();
        var deadline = now + wait;
        while (!waiter.Granted.IsCompleted && !cancellationToken.IsCancellationRequested)
        {
            var remaining = deadline - _clock.GetUtcNow();
            if (remaining <= TimeSpan.Zero) break;
            var pause = remaining < LeasePoll ? remaining : LeasePoll;
            if (Lease.HolderId is not null && Lease.HolderExpiresAt - _clock.GetUtcNow() is var untilExpiry && untilExpiry < pause) pause = untilExpiry;
            if (pause < LeaseRecheck) pause = remaining < LeaseRecheck ? remaining : LeaseRecheck;
            try
            {
                await Task.WhenAny(waiter.Granted, Task.Delay(pause, _clock, cancellationToken));
            }
            catch (OperationCanceledException)
            {
                break;
            }
            HandOverLease();
        }
        if (waiter.Granted.IsCompleted) return await waiter.Granted;
        Lease.Leave(waiter);
        if (cancellationToken.IsCancellationRequested) throw new OperationCanceledException(cancellationToken);
        return new SessionFailure(SessionStatus.LeaseBusy, $"Another request held the session's lease for {wait.TotalMilliseconds:0} ms.", 1);
    }

    public async Task<Reply<Written>> ReleaseLease(string leaseId, string? mergePatchJson, SessionWrite write)
    {
        // Commit and release: the patch is a write under the lease; the lease goes only once it is stored.
        if (mergePatchJson is not null)
            return await Change(write with { LeaseId = leaseId }, "patch", IdempotencyLedger.Fingerprint(mergePatchJson), () => SessionDataRules.Patch(S.Data, mergePatchJson, _rules), releasing: leaseId);
        // Released before admission: a rate-limited release must not leave the session locked until the lease expires.
        ReleaseHeldLease(leaseId);
        await Gate();
        if (await Enter() is { } refused) return refused;
        return new Written(D.Version);
    }

    Task<Reply<Written>> ILocalSessionGrain.CommitLease(string leaseId, IReadOnlyList<KeyValuePair<string, string?>> changes, SessionWrite write) =>
        changes.Count == 0
            ? ReleaseLease(leaseId, null, write)
            : Change(write with { LeaseId = leaseId }, "patch", IdempotencyLedger.Fingerprint(changes), () => SessionDataRules.Replace(S.Data, changes, _rules), releasing: leaseId);

    /// <summary>Refuses a write made under a lease the session does not hold (none is the lease of a fresh activation).</summary>
    private SessionFailure? CheckLease(SessionWrite write) =>
        write.LeaseId is { } leaseId && Lease?.IsHeldBy(leaseId) != true
            ? new SessionFailure(SessionStatus.LeaseLost, "The write was made under a lease the session does not hold: it was released, taken over after it expired, or lost with a silo. Acquire the lease again and repeat the read.")
            : null;

    private void ReleaseHeldLease(string leaseId)
    {
        if (Lease?.Release(leaseId) == true) HandOverLease();
    }

    // The grant of a hand-over, made once: it reads the stored state when it grants, not when it is made.
    private Func<string, DateTimeOffset, LeaseGranted>? _grant;

    /// <summary>
    /// Grants the lease to the next waiter if it is free, with the session as stored. Never while changes are being
    /// written or an operation runs alone: the holder must read every change made before its grant (the write loop
    /// hands the lease over once it has stored them).
    /// </summary>
    private void HandOverLease()
    {
        if (Lease is null || _flushing || _exclusive is not null) return;
        var now = _clock.GetUtcNow();
        if (!S.Exists || now >= S.ExpiresAt(_lastAccess))
        {
            Lease.Fail(Admission.NotFound);
            return;
        }
        Lease.HandOver(now, _grant ??= (leaseId, expiresAt) => new LeaseGranted(leaseId, expiresAt, new SessionView(Info(D, _lastAccess), D.Data)));
        OfferLease(now);
    }

}
