using System.IO.Hashing;
using System.Net;
using System.Runtime.InteropServices;

namespace SessionGrains.Interfaces;

/// <summary>
/// Where a session lives in cluster mode: the silo whose gateway ranks highest for its id (rendezvous hashing of the id
/// with each gateway's endpoint). Front ends rank the gateways they know to pick the silo they call; silos rank the
/// active members to decide where a session should move when a silo joins or drains. Both sides use this one
/// computation, so they agree without talking to each other.
/// </summary>
public static class SessionHomes
{
    /// <summary>The seed of a silo: its gateway endpoint, not its generation, so a silo restarted on the same endpoint takes its sessions back.</summary>
    public static long Seed(IPEndPoint gateway) =>
        (long)XxHash3.HashToUInt64(MemoryMarshal.AsBytes($"{gateway.Address}:{gateway.Port}".AsSpan()));

    /// <summary>The rank of the silo with <paramref name="seed"/> for <paramref name="sessionId"/>; the highest wins.</summary>
    public static ulong Score(string sessionId, long seed) => XxHash3.HashToUInt64(MemoryMarshal.AsBytes(sessionId.AsSpan()), seed);
}

/// <summary>
/// A process that hosts a silo next to its front end (a combined node): which sessions live on this silo, so that the
/// front end gives a new session an id whose home is here and its calls take no network hop.
/// </summary>
public interface ILocalSessionHomes
{
    /// <summary>Whether <paramref name="sessionId"/> belongs on this silo (false before the first membership read and while draining).</summary>
    bool IsHomedHere(string sessionId);

    /// <summary>Whether both sessions belong on the same silo.</summary>
    bool SameHome(string a, string b);
}

/// <summary>
/// Session ids minted in this process for sessions about to be created and activated here (a silo's process: a combined
/// node, an app that is a silo). A new random id cannot be registered anywhere yet, so the session directory answers
/// its lookup without asking Redis, and a create costs one round trip less.
/// </summary>
public interface INewSessionIds
{
    /// <summary>Notes <paramref name="sessionId"/> as new: the next directory lookup of it is answered "not registered".</summary>
    void Minted(string sessionId);
}

/// <summary>
/// Creates sessions without activating them: a creation is a storage write, and the session's grain is activated by its
/// first call (which reads it). Registered in every silo and in a split cluster's front ends (which write new sessions to
/// the cluster's Redis themselves); the standalone front end uses it in its own process. Combined nodes and apps that
/// are silos create through the grain (their sessions are activated at once, on the creating node).
/// </summary>
public interface ISessionCreator
{
    /// <summary>
    /// Stores the new session's first state. Null when the grain must decide (a record is there already: a retried
    /// creation, whose answer the grain replays; or a user whose index is updated first): send it the creation then.
    /// </summary>
    Task<Reply<SessionInfo>?> TryStore(string sessionId, SessionCreation creation);
}
