using Microsoft.Extensions.Logging;
using Orleans.Concurrency;
using SessionGrains.Interfaces;

namespace SessionGrains.Grains;

/// <summary>
/// The silo end of <see cref="ISessionRouter"/>: runs a front end's call against the session grain. The grain is
/// activated here when it is not active anywhere (<see cref="SessionGrain"/> prefers local placement), so the calls of
/// all front ends for one session meet on the silo they hash it to, and reach the grain without a second hop.
/// </summary>
[Reentrant]
public sealed class SessionRouterService(GrainId grainId, Silo silo, ILoggerFactory loggers, IGrainFactory grains, Placement.SiloHomes homes, Placement.SiloWarmUp warmUp,
    ISessionCreator creator)
    : GrainService(grainId, silo, loggers), ISessionRouter
{
    public async Task<Reply<SessionInfo>> Create(string sessionId, SessionCreation creation)
    {
        // Stored, not activated: the session's first call activates it here (the front ends route it to this silo).
        // Its id is not noted as new (INewSessionIds): that call may come much later, or never, and the set would keep it.
        if (homes.Draining) throw new SiloDrainingException();
        return await creator.TryStore(sessionId, creation) ?? await Session(sessionId).Create(creation);
    }

    public Task<Reply<SessionView>> Get(string sessionId) => Session(sessionId).Get();

    public Task<Reply<SessionValue>> GetValue(string sessionId, string key) => Session(sessionId).GetValue(key);

    public Task<Reply<Written>> Put(string sessionId, string key, string json, SessionWrite write) => Session(sessionId).Put(key, json, write);

    public Task<Reply<Written>> Remove(string sessionId, string key, SessionWrite write) => Session(sessionId).Remove(key, write);

    public Task<Reply<Written>> Patch(string sessionId, string mergePatchJson, SessionWrite write) => Session(sessionId).Patch(mergePatchJson, write);

    public Task<Reply<Counted>> Increment(string sessionId, string key, long by, SessionWrite write) => Session(sessionId).Increment(key, by, write);

    public Task<Reply<Written>> Delete(string sessionId, SessionWrite write) => Session(sessionId).Delete(write);

    public Task<Reply<SessionInfo>> Rotate(string sessionId, string newId, SessionWrite write) => Session(sessionId).Rotate(newId, write);

    public Task<Reply<SessionPlacement>> GetPlacement(string sessionId) => Session(sessionId).GetPlacement();

    public Task<Reply<SessionInspection>> Inspect(string sessionId) => Session(sessionId).Inspect();

    public Task<Reply<SessionInfo>> Touch(string sessionId) => Session(sessionId).Touch();

    public Task<Reply<Published>> Publish(string sessionId, string json, SessionWrite write) => Session(sessionId).Publish(json, write);

    public Task<Reply<Subscribed>> Subscribe(string sessionId, ISessionObserver observer, int sockets) => Session(sessionId).Subscribe(observer, sockets);

    public async Task<bool> Unsubscribe(string sessionId, ISessionObserver observer)
    {
        await Session(sessionId).Unsubscribe(observer);
        return true;
    }

    public Task<Reply<EventPage>> GetEvents(string sessionId, long afterSeq) => Session(sessionId).GetEvents(afterSeq);

    public Task<Reply<LeaseGranted>> AcquireLease(string sessionId, string leaseId, TimeSpan ttl, TimeSpan wait, CancellationToken cancellationToken) =>
        Session(sessionId).AcquireLease(leaseId, ttl, wait, cancellationToken);

    public Task<Reply<Written>> ReleaseLease(string sessionId, string leaseId, string? mergePatchJson, SessionWrite write) =>
        Session(sessionId).ReleaseLease(leaseId, mergePatchJson, write);

    public Task<bool> Warm() => Task.FromResult(warmUp.IsWarm);

    /// <summary>
    /// The session's grain; refused with <see cref="SiloDrainingException"/> before anything is done while this silo drains,
    /// so that the front end sends the call to the silo that takes the session over.
    /// </summary>
    private ISessionGrain Session(string sessionId) =>
        homes.Draining ? throw new SiloDrainingException() : grains.Reference<ISessionGrain>(sessionId);
}
