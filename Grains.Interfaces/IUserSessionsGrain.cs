namespace SessionGrains.Interfaces;

/// <summary>The sessions of one user (the key is the user id): for listing them and logging out everywhere.</summary>
public interface IUserSessionsGrain : IGrainWithStringKey
{
    /// <summary>Records a session of this user before the session itself is stored; may evict the oldest past the per-user limit.</summary>
    Task Add(string sessionId, DateTimeOffset createdAt);

    /// <summary>Forgets a session that ended. One-way: a session never waits on its user's index.</summary>
    [Orleans.Concurrency.OneWay]
    Task Remove(string sessionId);

    /// <summary>The user's live sessions, checked against each session (entries of ended sessions are dropped).</summary>
    Task<IReadOnlyList<SessionInfo>> List();

    /// <summary>Deletes every session of the user; returns how many were live.</summary>
    Task<int> DeleteAll();
}
