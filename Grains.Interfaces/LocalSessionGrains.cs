using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;

namespace SessionGrains.Interfaces;

/// <summary>
/// The session grains active in this process, for a <c>SessionGateway</c> in the same process (a standalone service, a
/// combined node, an app that is a silo): it runs its calls to them on the grain's own scheduler, as Orleans would, but
/// without Orleans' messaging (a request message, its dispatch and its response: about a sixth of a drop-in page's CPU).
/// Registered in every silo unless spans are recorded (Orleans' call filters carry the trace then); a grain lists itself
/// only once a gateway of this process uses the list (<see cref="Use"/>), so dedicated silos keep none.
/// </summary>
public sealed class LocalSessionGrains
{
    private readonly ConcurrentDictionary<string, ILocalSessionGrain> _active = new(StringComparer.Ordinal);
    private volatile bool _used;

    /// <summary>Whether a gateway of this process calls through the list.</summary>
    public bool InUse => _used;

    /// <summary>A gateway of this process will look sessions up here.</summary>
    public void Use() => _used = true;

    public void Add(string sessionId, ILocalSessionGrain grain) => _active[sessionId] = grain;

    public void Remove(string sessionId, ILocalSessionGrain grain) => _active.TryRemove(new(sessionId, grain));

    public bool TryGet(string sessionId, [NotNullWhen(true)] out ILocalSessionGrain? grain) => _active.TryGetValue(sessionId, out grain);
}

/// <summary>A session grain active in this process (<see cref="LocalSessionGrains"/>).</summary>
public interface ILocalSessionGrain
{
    /// <summary>
    /// Runs <paramref name="call"/> against the grain on its scheduler. <c>Ran</c> is false when the activation no longer
    /// takes such calls (it is deactivating or moving): the caller then sends the call through Orleans.
    /// </summary>
    Task<(bool Ran, T Result)> TryRun<T>(Func<ISessionGrain, Task<T>> call);

    /// <summary>
    /// Takes the session's lease at once, on the caller's thread, if the grain offers it: the lease is free, nobody waits
    /// for it and no change is in flight. False otherwise (the caller then asks the grain, which queues it); granted, the
    /// answer is the stored session, as <see cref="ISessionGrain.AcquireLease"/> answers it.
    /// </summary>
    bool TryAcquireNow(string leaseId, TimeSpan ttl, [NotNullWhen(true)] out LeaseGranted? granted);

    /// <summary>
    /// <see cref="ISessionGrain.ReleaseLease"/> with a flat merge patch given as its members (data keys and the JSON text of
    /// their values, null to remove, each key once; see <see cref="SessionCalls.CommitChanges"/>): applied as that patch would be, without
    /// its text. For a caller in this process, on the grain's scheduler (<see cref="TryRun"/>); the values are trusted to
    /// be JSON, as <see cref="ISessionGrain.Put"/>'s are.
    /// </summary>
    Task<Reply<Written>> CommitLease(string leaseId, IReadOnlyList<KeyValuePair<string, string?>> changes, SessionWrite write);
}
