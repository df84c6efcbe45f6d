using Orleans.Storage;

namespace SessionGrains.Grains.Storage;

/// <summary>
/// Where session grains keep their state, field by field (<see cref="SessionRecord"/>): a write sends only what changed,
/// in one round trip, and succeeds only while the stored revision is the one the writer read (optimistic concurrency,
/// as an ETag). Other grains (jobs, user indexes) keep using Orleans' grain storage.
/// </summary>
public interface ISessionStore
{
    /// <summary>The stored session, or <see cref="StoredSession.None"/>. A record of the earlier whole-state layout is rewritten in this one first.</summary>
    Task<StoredSession> Read(GrainId session);

    /// <summary>
    /// Stores the change from <paramref name="stored"/> (what revision <paramref name="revision"/> holds) to
    /// <paramref name="next"/> as revision <paramref name="written"/> (the writer's choice: a session grain never
    /// reuses one). Throws <see cref="InconsistentStateException"/> when the stored revision is another: someone else
    /// wrote the session, or storage went back, and nothing was changed.
    /// </summary>
    Task Write(GrainId session, long revision, long written, SessionState stored, SessionState next);

    /// <summary>Deletes the record if it is still at <paramref name="revision"/>; a record already gone is no error.</summary>
    Task Clear(GrainId session, long revision);
}

/// <summary>A session as read from storage: its state and the revision a conditional write must name (0: nothing stored).</summary>
public readonly record struct StoredSession(SessionState State, long Revision)
{
    public static StoredSession None => new(SessionState.None, 0);
}

/// <summary>
/// Sessions stored before issue 18 are one serialized <see cref="SessionState"/> under Orleans' grain storage. Such a
/// record is read once through that storage, written in the field layout, and then deleted.
/// </summary>
public static class EarlierLayout
{
    /// <summary>Reads the session's record in the earlier layout, if any (start it beside a read of the new one: one round trip).</summary>
    public static async Task<GrainState<SessionState>?> Read(IGrainStorage earlier, GrainId session)
    {
        var old = new GrainState<SessionState>();
        await earlier.ReadStateAsync(SessionGrain.StateName, session, old);
        return old.RecordExists && old.State is { Version: > 0 } ? old : null;
    }

    /// <summary>Writes <paramref name="old"/> in the field layout, then deletes it; answers the session as stored now.</summary>
    public static async Task<StoredSession> Convert(ISessionStore store, IGrainStorage earlier, GrainId session, GrainState<SessionState>? old)
    {
        if (old?.State is not { } state) return StoredSession.None;
        const long revision = 1;
        await store.Write(session, 0, revision, SessionState.None, state);
        try
        {
            await earlier.ClearStateAsync(SessionGrain.StateName, session, old);
        }
        catch (Exception)
        {
            // The new record is read first from now on; the old one is left to its own expiry.
        }
        // Not old.State: clearing resets it.
        return new StoredSession(state, revision);
    }
}
