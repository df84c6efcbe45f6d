using Orleans.Services;

namespace SessionGrains.Interfaces;

/// <summary>
/// A grain service on every silo: the front end's way into the silo that hosts a session. A front end picks the silo
/// for a session id by rendezvous hashing over the live gateways, and calls this service there directly (an Orleans
/// client sends a call to a silo's service straight to that silo's gateway). The service runs the call against the
/// session grain, which is activated on that same silo (<c>PreferLocalPlacement</c>), so a call takes one network hop.
/// Each method is the <see cref="ISessionGrain"/> operation of the same name on session <c>sessionId</c>: typed methods
/// keep messages as small as direct grain calls (no polymorphic call objects or generic arguments on the wire).
/// </summary>
public interface ISessionRouter : IGrainService
{
    Task<Reply<SessionInfo>> Create(string sessionId, SessionCreation creation);

    Task<Reply<SessionView>> Get(string sessionId);

    Task<Reply<SessionValue>> GetValue(string sessionId, string key);

    Task<Reply<Written>> Put(string sessionId, string key, string json, SessionWrite write);

    Task<Reply<Written>> Remove(string sessionId, string key, SessionWrite write);

    Task<Reply<Written>> Patch(string sessionId, string mergePatchJson, SessionWrite write);

    Task<Reply<Counted>> Increment(string sessionId, string key, long by, SessionWrite write);

    Task<Reply<Written>> Delete(string sessionId, SessionWrite write);

    Task<Reply<SessionInfo>> Rotate(string sessionId, string newId, SessionWrite write);

    Task<Reply<SessionPlacement>> GetPlacement(string sessionId);

    Task<Reply<SessionInspection>> Inspect(string sessionId);

    Task<Reply<SessionInfo>> Touch(string sessionId);

    Task<Reply<Published>> Publish(string sessionId, string json, SessionWrite write);

    Task<Reply<Subscribed>> Subscribe(string sessionId, ISessionObserver observer, int sockets);

    Task<bool> Unsubscribe(string sessionId, ISessionObserver observer);

    Task<Reply<EventPage>> GetEvents(string sessionId, long afterSeq);

    Task<Reply<LeaseGranted>> AcquireLease(string sessionId, string leaseId, TimeSpan ttl, TimeSpan wait, CancellationToken cancellationToken = default);

    Task<Reply<Written>> ReleaseLease(string sessionId, string leaseId, string? mergePatchJson, SessionWrite write);

    /// <summary>Whether this silo has warmed up after its start, so that sessions may be moved to it (asked by the other silos).</summary>
    Task<bool> Warm();
}

/// <summary>How a front end addresses the <see cref="ISessionRouter"/> of one silo.</summary>
public static class SessionRouterAddress
{
    // Orleans names a grain service after its interface's stable type hash; this is the same computation.
    private static readonly int TypeCode = (int)StableHash.ComputeHash(Orleans.Serialization.TypeSystem.RuntimeTypeNameFormatter.Format(typeof(ISessionRouter)));

    /// <summary>
    /// The router of the silo behind <paramref name="gateway"/> (its gateway address, as the client knows it); from
    /// another silo, the router of the silo with that silo address.
    /// </summary>
    public static GrainId For(SiloAddress gateway) => SystemTargetGrainId.CreateGrainServiceGrainId(TypeCode, null!, gateway);
}
