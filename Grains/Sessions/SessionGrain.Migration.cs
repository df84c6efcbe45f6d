using Orleans.Runtime.Placement;
using SessionGrains.Grains.Placement;
using SessionGrains.Interfaces;

namespace SessionGrains.Grains;

// Live moves between silos (Orleans live grain migration): the activation's state and what it keeps only in memory
// travel with it, so the session arrives without a storage read, its WebSocket subscribers keep receiving events,
// its request lease stays held and its rate-limit bucket is not refilled by the move.
public sealed partial class SessionGrain : ISessionMover, IGrainMigrationParticipant
{
    private const string StateKey = "sg.state";
    // A revision, not the earlier "sg.etag": a session dehydrated by a silo of the earlier layout is read from storage instead.
    private const string RevisionKey = "sg.rev";
    private const string IssuedKey = "sg.issued";
    private const string UnansweredKey = "sg.unanswered";
    private const string LastAccessKey = "sg.last";
    private const string TokensKey = "sg.tokens";
    private const string ObserversKey = "sg.observers";
    private const string SocketsKey = "sg.sockets";
    private const string LeaseHolderKey = "sg.lease";
    private const string LeaseUntilKey = "sg.lease.until";

    public Task<bool> MoveTo(SiloAddress target)
    {
        if (target.Equals(GrainContext.Address.SiloAddress)) return Task.FromResult(false);
        // The hint makes the migration's placement pick the target, whatever the grain's own placement prefers.
        GrainContext.Migrate(new Dictionary<string, object> { [IPlacementDirector.PlacementHintKey] = target });
        return Task.FromResult(true);
    }

    void IGrainMigrationParticipant.OnDehydrate(IDehydrationContext context)
    {
        // An activation that never read its state has nothing to bring: the target reads it at its first call.
        if (!_loaded) return;
        // Dehydration runs once no call is running, so every change is stored: the stored state is the whole session.
        context.TryAddValue(StateKey, _stored);
        context.TryAddValue(RevisionKey, _revision);
        context.TryAddValue(IssuedKey, _issued);
        if (_unanswered is { } unanswered) context.TryAddValue(UnansweredKey, unanswered);
        context.TryAddValue(LastAccessKey, _lastAccess);
        context.TryAddValue(TokensKey, _bucket.Available);
        if (_subscribers is { Count: > 0 } subscribers)
        {
            var all = subscribers.All;
            context.TryAddValue(ObserversKey, all.Select(s => s.Observer).ToArray());
            context.TryAddValue(SocketsKey, all.Select(s => s.Sockets).ToArray());
        }
        if (Lease?.HolderId is { } holder)
        {
            context.TryAddValue(LeaseHolderKey, holder);
            context.TryAddValue(LeaseUntilKey, Lease.HolderExpiresAt);
        }
        _metrics.MovedOut();
    }

    void IGrainMigrationParticipant.OnRehydrate(IRehydrationContext context)
    {
        if (!context.TryGetValue(StateKey, out SessionState? state) || state is null || !context.TryGetValue(RevisionKey, out long revision)) return;
        _state = _stored = state;
        _revision = revision;
        _issued = context.TryGetValue(IssuedKey, out long issued) ? Math.Max(issued, revision) : revision;
        if (context.TryGetValue(UnansweredKey, out long[]? unanswered) && unanswered is { Length: UnansweredKept }) _unanswered = unanswered;
        _loaded = true;
        if (context.TryGetValue(LastAccessKey, out DateTimeOffset lastAccess)) _lastAccess = lastAccess;
        if (context.TryGetValue(TokensKey, out double tokens)) _bucket = TokenBucket.Holding(_rules.RequestsPerSecond, tokens);
        if (context.TryGetValue(ObserversKey, out ISessionObserver[]? observers) && context.TryGetValue(SocketsKey, out int[]? sockets)
            && observers is not null && sockets is not null)
        {
            _subscribers = new SessionSubscribers(_rules.SubscriptionLifetime, _logger);
            for (var i = 0; i < observers.Length && i < sockets.Length; i++) _subscribers.Subscribe(observers[i], sockets[i], int.MaxValue);
        }
        if (context.TryGetValue(LeaseHolderKey, out string? holder) && holder is not null && context.TryGetValue(LeaseUntilKey, out DateTimeOffset until))
            Lease = LeaseQueue.Held(holder, until);
        _metrics.MovedIn();
    }
}
