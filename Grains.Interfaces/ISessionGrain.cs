namespace SessionGrains.Interfaces;

/// <summary>One web session. The key is the session id (128 random bits, base64url).</summary>
public interface ISessionGrain : IGrainWithStringKey
{
    /// <summary>Creates the session; a retry with the same idempotency key returns the first outcome.</summary>
    Task<SessionReply> Create(SessionCreation creation);

    /// <summary>The whole session: metadata and data.</summary>
    Task<SessionReply> Get();

    /// <summary>One value as JSON text.</summary>
    Task<SessionReply> GetValue(string key);

    Task<SessionReply> Put(string key, string json, SessionWrite write);

    Task<SessionReply> Remove(string key, SessionWrite write);

    /// <summary>Applies a JSON merge patch (RFC 7396) to the data object; all keys change at once.</summary>
    Task<SessionReply> Patch(string mergePatchJson, SessionWrite write);

    Task<SessionReply> Increment(string key, long by, SessionWrite write);

    /// <summary>Ends the session; the id is dead afterwards.</summary>
    Task<SessionReply> Delete(SessionWrite write);

    /// <summary>Moves the session to <paramref name="newId"/>; the old id is dead afterwards.</summary>
    Task<SessionReply> Rotate(string newId, SessionWrite write);

    /// <summary>Receiving side of a rotation: takes the state of session <paramref name="transfer"/>.FromId.</summary>
    Task<SessionReply> Adopt(SessionTransfer transfer);

    /// <summary>Where this activation lives.</summary>
    Task<SessionReply> GetPlacement();

    /// <summary>The whole session and where it lives, for trusted callers; not counted as access.</summary>
    Task<SessionReply> Inspect();

    /// <summary>Counts as access (sliding expiry) without reading or changing anything.</summary>
    Task<SessionReply> Touch();

    /// <summary>Appends a message event (persisted in the event log) and pushes it to every subscriber.</summary>
    Task<SessionReply> Publish(string json, SessionWrite write);

    /// <summary>
    /// Subscribes (or renews) a front end holding <paramref name="sockets"/> sockets of this session. Refused with
    /// <see cref="SessionStatus.TooManySockets"/> past the per-session limit. The reply's Seq is the latest event.
    /// </summary>
    Task<SessionReply> Subscribe(ISessionObserver observer, int sockets);

    Task Unsubscribe(ISessionObserver observer);

    /// <summary>Events after <paramref name="afterSeq"/> from the log; Gap is set when the log no longer reaches back.</summary>
    Task<SessionReply> GetEvents(long afterSeq);
}
