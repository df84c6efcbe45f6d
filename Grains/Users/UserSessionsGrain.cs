using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;
using SessionGrains.Grains.Storage;
using SessionGrains.Interfaces;

namespace SessionGrains.Grains;

/// <summary>
/// Index of one user's sessions. Sessions add themselves before they are stored and remove themselves after
/// they end; whatever a crash in between leaves behind is dropped when the index checks each session (listing,
/// logout). Reentrant, so that a session's call never deadlocks with the index calling that session; state
/// writes are serialized and coalesced.
/// </summary>
[Reentrant]
public sealed partial class UserSessionsGrain : Grain, IUserSessionsGrain
{
    /// <summary>An entry whose session is not found is kept this long, since the session may still be being created.</summary>
    private static readonly TimeSpan CreationGrace = TimeSpan.FromMinutes(1);

    private readonly IPersistentState<UserSessionsState> _store;
    private readonly SessionRules _options;
    private readonly TimeProvider _clock;
    private readonly ILogger<UserSessionsGrain> _logger;
    private readonly CoalescedWrites _writes;

    public UserSessionsGrain(
        [PersistentState("user-sessions", SessionStorage.Name)] IPersistentState<UserSessionsState> store,
        IOptions<SessionRules> options,
        TimeProvider clock,
        ILogger<UserSessionsGrain> logger)
    {
        _store = store;
        _options = options.Value;
        _clock = clock;
        _logger = logger;
        _writes = new CoalescedWrites(() => _store.WriteStateAsync());
    }

    private Dictionary<string, DateTimeOffset> Sessions => _store.State.Sessions;

    public async Task Add(string sessionId, DateTimeOffset createdAt)
    {
        Sessions[sessionId] = createdAt;
        await Save();
        if (_options.MaxSessionsPerUser > 0 && Sessions.Count > _options.MaxSessionsPerUser) await EvictOldest(except: sessionId);
    }

    public async Task Remove(string sessionId)
    {
        if (Sessions.Remove(sessionId)) await Save();
    }

    public async Task<IReadOnlyList<SessionInfo>> List()
    {
        var live = new List<SessionInfo>();
        foreach (var (id, reply) in await InspectAll())
        {
            if (reply.Succeeded) live.Add(reply.Value.Session.Info);
        }
        return live.OrderBy(s => s.CreatedAt).ToList();
    }

    public async Task<int> DeleteAll()
    {
        var ids = Sessions.Keys.ToList();
        var replies = await Task.WhenAll(ids.Select(id => Session(id).Evict()));
        var deleted = replies.Count(r => r.Succeeded);
        foreach (var id in ids) Sessions.Remove(id);
        await Save();
        LogLoggedOut(this.GetPrimaryKeyString(), deleted);
        return deleted;
    }

    /// <summary>Asks every indexed session for its state; drops entries of sessions that ended.</summary>
    private async Task<IReadOnlyList<(string Id, Reply<SessionInspection> Reply)>> InspectAll()
    {
        var ids = Sessions.Keys.ToList();
        var replies = await Task.WhenAll(ids.Select(id => Session(id).Inspect()));
        var now = _clock.GetUtcNow();
        var changed = false;
        for (var i = 0; i < ids.Count; i++)
        {
            if (replies[i].Status == SessionStatus.SessionNotFound && Sessions.TryGetValue(ids[i], out var added) && now - added > CreationGrace)
            {
                changed |= Sessions.Remove(ids[i]);
            }
        }
        if (changed) await Save();
        return ids.Zip(replies).ToList();
    }

    private async Task EvictOldest(string except)
    {
        var excess = Sessions.Count - _options.MaxSessionsPerUser;
        var oldest = Sessions.Where(e => e.Key != except).OrderBy(e => e.Value).Take(excess).Select(e => e.Key).ToList();
        foreach (var id in oldest)
        {
            await Session(id).Evict();
            Sessions.Remove(id);
            LogEvicted(id, this.GetPrimaryKeyString());
        }
        await Save();
    }

    /// <summary>Writes the state once for every change made before the call; concurrent callers share one write.</summary>
    private Task Save() => _writes.Save();

    private ISessionGrain Session(string id) => GrainFactory.GetGrain<ISessionGrain>(id);

    [LoggerMessage(EventId = 1101, Level = LogLevel.Information, Message = "Session {SessionId} of user {UserId} evicted: over the per-user limit")]
    private partial void LogEvicted(string sessionId, string userId);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Information, Message = "User {UserId} logged out everywhere: {Count} sessions deleted")]
    private partial void LogLoggedOut(string userId, int count);
}
