namespace SessionGrains.Interfaces;

/// <summary>One web session. The key is the session id (<see cref="SessionKeys.IsValidId"/>).</summary>
public interface ISessionGrain : IGrainWithStringKey
{
    /// <summary>Creates the session; a retry with the same idempotency key returns the first outcome.</summary>
    Task<Reply<SessionInfo>> Create(SessionCreation creation);

    /// <summary>The whole session: metadata and data.</summary>
    Task<Reply<SessionView>> Get();

    /// <summary>One value as JSON text.</summary>
    Task<Reply<SessionValue>> GetValue(string key);

    Task<Reply<Written>> Put(string key, string json, SessionWrite write);

    Task<Reply<Written>> Remove(string key, SessionWrite write);

    /// <summary>Applies a JSON merge patch (RFC 7396) to the data object; all keys change at once.</summary>
    Task<Reply<Written>> Patch(string mergePatchJson, SessionWrite write);

    Task<Reply<Counted>> Increment(string key, long by, SessionWrite write);

    /// <summary>Ends the session; the id is dead afterwards.</summary>
    Task<Reply<Written>> Delete(SessionWrite write);

    /// <summary>
    /// Ends the session for a trusted caller (log-out-everywhere, the per-user limit): no rate limit and no idempotency
    /// key, so nothing a session holder sends can keep it alive.
    /// </summary>
    Task<Reply<Written>> Evict();

    /// <summary>Moves the session to <paramref name="newId"/>; the old id is dead afterwards. Answers the new session.</summary>
    Task<Reply<SessionInfo>> Rotate(string newId, SessionWrite write);

    /// <summary>Receiving side of a rotation: takes the state of session <paramref name="transfer"/>.FromId.</summary>
    Task<Reply<SessionInfo>> Adopt(SessionTransfer transfer);

    /// <summary>Where this activation lives.</summary>
    Task<Reply<SessionPlacement>> GetPlacement();

    /// <summary>The whole session and where it lives, for trusted callers; not counted as access.</summary>
    Task<Reply<SessionInspection>> Inspect();

    /// <summary>Counts as access (sliding expiry) without reading or changing anything.</summary>
    Task<Reply<SessionInfo>> Touch();

    /// <summary>Appends a message event (persisted in the event log) and pushes it to every subscriber.</summary>
    Task<Reply<Published>> Publish(string json, SessionWrite write);

    /// <summary>
    /// Subscribes (or renews) a front end holding <paramref name="sockets"/> sockets of this session. Refused with
    /// <see cref="SessionStatus.TooManySockets"/> past the per-session limit.
    /// </summary>
    Task<Reply<Subscribed>> Subscribe(ISessionObserver observer, int sockets);

    Task Unsubscribe(ISessionObserver observer);

    /// <summary>Events after <paramref name="afterSeq"/> from the log; Gap is set when the log no longer reaches back.</summary>
    Task<Reply<EventPage>> GetEvents(long afterSeq);

    /// <summary>
    /// Acquires the session's request lease under <paramref name="leaseId"/> (chosen by the caller, so a retry is the
    /// same request) and answers the session as it stands. While another request holds it, waits up to
    /// <paramref name="wait"/> in FIFO order without blocking the grain; then <see cref="SessionStatus.LeaseBusy"/>.
    /// Acquiring a lease already held under the same id renews it. Leases live in memory only.
    /// </summary>
    [Orleans.Concurrency.AlwaysInterleave]
    Task<Reply<LeaseGranted>> AcquireLease(string leaseId, TimeSpan ttl, TimeSpan wait, CancellationToken cancellationToken = default);

    /// <summary>
    /// Releases the lease <paramref name="leaseId"/>, after applying <paramref name="mergePatchJson"/> under it when one
    /// is given (commit and release in one call; a refused patch keeps the lease). Releasing a lease not held is a no-op.
    /// </summary>
    Task<Reply<Written>> ReleaseLease(string leaseId, string? mergePatchJson, SessionWrite write);

    /// <summary>
    /// Session jobs: checks that the session is live (counts as access) and marks it as owning jobs, so that its end
    /// (delete, rotate, expiry) discards them.
    /// </summary>
    Task<Reply<SessionInfo>> OwnJobs();

    /// <summary>Appends a job event to the log and pushes it to subscribers; neither rate limited nor counted as access.</summary>
    Task<Reply<Published>> PublishJobEvent(SessionEventKind kind, string json);
}
