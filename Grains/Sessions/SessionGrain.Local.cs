using System.Diagnostics.CodeAnalysis;
using SessionGrains.Interfaces;

namespace SessionGrains.Grains;

// Calls from a gateway in this process (LocalSessionGrains): queued on the activation's own scheduler, where they
// interleave with Orleans' calls as any call of this reentrant grain does. Orleans does not know of them, so the
// activation waits for them itself before it deactivates or moves, and takes none once that has begun.
public sealed partial class SessionGrain : ILocalSessionGrain
{
    private LocalSessionGrains? _local;
    private bool _localClosed;
    private int _localRunning;
    private TaskCompletionSource? _localDrained;

    /// <summary>Lists the activation for this process' gateway (at activation).</summary>
    private void OpenToLocalCalls()
    {
        _local = ServiceProvider.GetService(typeof(LocalSessionGrains)) as LocalSessionGrains;
        if (_local is { InUse: true }) _local.Add(Id, this);
    }

    Task<(bool Ran, T Result)> ILocalSessionGrain.TryRun<T>(Func<ISessionGrain, Task<T>> call)
    {
        // Without the caller's execution context, as a call through Orleans runs: the request's async locals stay with
        // the request, and the grain's continuations need not carry and restore them at every turn.
        Task<Task<(bool Ran, T Result)>> queued;
        using (ExecutionContext.SuppressFlow()) queued = new(() => RunLocal(call));
        GrainContext.Scheduler.QueueTask(queued);
        return queued.Unwrap();
    }

    private async Task<(bool Ran, T Result)> RunLocal<T>(Func<ISessionGrain, Task<T>> call)
    {
        if (_localClosed) return (false, default!);
        _localRunning++;
        try
        {
            return (true, await call(this));
        }
        finally
        {
            if (--_localRunning == 0) _localDrained?.TrySetResult();
        }
    }

    /// <summary>At the start of deactivation: takes no more local calls and waits for those running (bounded by Orleans' deactivation timeout).</summary>
    private async Task CloseToLocalCalls(CancellationToken cancellationToken)
    {
        WithdrawOffer();
        _localClosed = true;
        _local?.Remove(Id, this);
        if (_localRunning == 0) return;
        _localDrained ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        try
        {
            await _localDrained.Task.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // Orleans gives up waiting: what those calls wrote is stored or refused by revision like any stale activation's.
        }
    }

    // The lease offered to this process (an app that is a silo): when the lease is free, nobody waits for it, no change
    // is being applied or stored and the session is live, the grain leaves the lease and the stored session in an offer
    // that a caller in this process takes under a lock, on its own thread, without a turn of the grain. The grain takes
    // the offer back before any turn reads or changes the lease (the Lease property), applies a change (Persist), runs
    // an operation alone, deactivates or forgets the session; a caller that took it first is then the lease's holder.
    private readonly Lock _offerLock = new();
    private LeaseOffer? _offer;

    private sealed record LeaseOffer(SessionView Session, DateTimeOffset SessionExpiresAt);

    /// <summary>Offers the lease to callers in this process if it is free and the session quiet (end of <see cref="HandOverLease"/>).</summary>
    private void OfferLease(DateTimeOffset now)
    {
        if (_local is not { InUse: true } || _localClosed || _leaseQueue is not { HolderId: null, Waiting: 0 } || _flushing || _open is not null
            || _exclusive is not null || _ending is not null || !_loaded || !ReferenceEquals(_state, _stored) || !S.Exists) return;
        var offer = new LeaseOffer(new SessionView(Info(D, _lastAccess), D.Data), S.ExpiresAt(_lastAccess));
        if (now >= offer.SessionExpiresAt) return;
        lock (_offerLock) _offer = offer;
    }

    /// <summary>Takes the offer back; after this, the lease changes only in the grain's turns until it is offered again.</summary>
    private void WithdrawOffer()
    {
        // Null: never offered, or taken, and the taker's changes to the queue were made before it cleared the offer.
        if (Volatile.Read(ref _offer) is null) return;
        lock (_offerLock) _offer = null;
    }

    bool ILocalSessionGrain.TryAcquireNow(string leaseId, TimeSpan ttl, [NotNullWhen(true)] out LeaseGranted? granted)
    {
        granted = null;
        if (Volatile.Read(ref _offer) is null || !SessionLeases.IsValidId(leaseId) || ttl <= TimeSpan.Zero || ttl > SessionLeases.MaxTtl) return false;
        var now = _clock.GetUtcNow();
        lock (_offerLock)
        {
            if (_offer is not { } offer || now >= offer.SessionExpiresAt || _leaseQueue is not { HolderId: null, Waiting: 0 }) return false;
            var expiresAt = now + ttl;
            _leaseQueue!.Take(leaseId, expiresAt);
            Volatile.Write(ref _offer, null);
            granted = new LeaseGranted(leaseId, expiresAt, offer.Session);
            return true;
        }
    }
}
