using SessionGrains.Interfaces;

namespace SessionGrains.Grains;

/// <summary>
/// A session's request lease in memory: who holds it until when, and the requests waiting for it in arrival order.
/// It decides, it does not wait: the grain calls <see cref="HandOver"/> whenever the lease may have changed hands
/// and the session's state is committed, and each waiter awaits its own <see cref="Waiter.Granted"/>.
/// </summary>
public sealed class LeaseQueue
{
    private readonly LinkedList<Waiter> _waiters = new();

    /// <summary>The holder's lease id, or null when no request holds the lease.</summary>
    public string? HolderId { get; private set; }

    /// <summary>Until when the holder is guaranteed the lease; after that the next waiter takes it over.</summary>
    public DateTimeOffset HolderExpiresAt { get; private set; }

    /// <summary>How many requests wait.</summary>
    public int Waiting => _waiters.Count;

    /// <summary>Whether <paramref name="leaseId"/> is the lease in force (an expired lease stays in force until taken over).</summary>
    public bool IsHeldBy(string leaseId) => HolderId == leaseId;

    /// <summary>
    /// The waiter for <paramref name="leaseId"/>: the one already queued under that id (a retry joins it), or a new one at
    /// the end of the queue.
    /// </summary>
    public Waiter Join(string leaseId, TimeSpan ttl)
    {
        foreach (var queued in _waiters)
        {
            if (queued.LeaseId != leaseId) continue;
            queued.Callers++;
            return queued;
        }
        var waiter = new Waiter(leaseId, ttl);
        _waiters.AddLast(waiter);
        return waiter;
    }

    /// <summary>A call that gave up stops waiting; the waiter leaves the queue when no call of its lease id waits any more.</summary>
    public void Leave(Waiter waiter)
    {
        if (--waiter.Callers <= 0) _waiters.Remove(waiter);
    }

    /// <summary>A queue whose lease is held by <paramref name="holderId"/> until <paramref name="expiresAt"/> (a session that moved silos).</summary>
    public static LeaseQueue Held(string holderId, DateTimeOffset expiresAt) => new() { HolderId = holderId, HolderExpiresAt = expiresAt };

    /// <summary>Grants the free lease, with nobody waiting, to <paramref name="leaseId"/> until <paramref name="expiresAt"/>.</summary>
    public void Take(string leaseId, DateTimeOffset expiresAt)
    {
        if (HolderId is not null || _waiters.Count > 0) throw new InvalidOperationException("The lease is not free.");
        HolderId = leaseId;
        HolderExpiresAt = expiresAt;
    }

    /// <summary>Releases the lease if <paramref name="leaseId"/> holds it; answers whether it did.</summary>
    public bool Release(string leaseId)
    {
        if (HolderId != leaseId) return false;
        HolderId = null;
        return true;
    }

    /// <summary>Forgets the holder and fails every waiter, e.g. when the session ended.</summary>
    public void Fail(SessionFailure failure)
    {
        HolderId = null;
        foreach (var waiter in _waiters) waiter.Complete(failure);
        _waiters.Clear();
    }

    /// <summary>
    /// Serves the queue: renews the holder's own waiters, then, when the lease is free or its holder's time is up, hands
    /// it to the first waiter. <paramref name="grant"/> builds the answer (the committed session) for a lease id and expiry.
    /// </summary>
    public void HandOver(DateTimeOffset now, Func<string, DateTimeOffset, LeaseGranted> grant)
    {
        for (var node = _waiters.First; node is not null;)
        {
            var next = node.Next;
            if (node.Value.LeaseId == HolderId)
            {
                Grant(node.Value, now, grant);
                _waiters.Remove(node);
            }
            node = next;
        }
        if ((HolderId is null || now >= HolderExpiresAt) && _waiters.First is { } first)
        {
            _waiters.RemoveFirst();
            Grant(first.Value, now, grant);
        }
    }

    private void Grant(Waiter waiter, DateTimeOffset now, Func<string, DateTimeOffset, LeaseGranted> grant)
    {
        HolderId = waiter.LeaseId;
        HolderExpiresAt = now + waiter.Ttl;
        waiter.Complete(grant(waiter.LeaseId, HolderExpiresAt));
    }

    /// <summary>A request waiting for the lease.</summary>
    public sealed class Waiter(string leaseId, TimeSpan ttl)
    {
        private readonly TaskCompletionSource<Reply<LeaseGranted>> _outcome = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>The lease id the request asked for.</summary>
        public string LeaseId { get; } = leaseId;

        /// <summary>How long the lease is guaranteed once granted.</summary>
        public TimeSpan Ttl { get; } = ttl;

        /// <summary>How many calls (the first and its retries) wait on this waiter.</summary>
        public int Callers { get; set; } = 1;

        /// <summary>Completes with the grant, or with the failure that ended the wait.</summary>
        public Task<Reply<LeaseGranted>> Granted => _outcome.Task;

        internal void Complete(Reply<LeaseGranted> outcome) => _outcome.TrySetResult(outcome);
    }
}
