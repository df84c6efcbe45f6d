using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Storage;
using SessionGrains.Grains.Storage;
using SessionGrains.Interfaces;

namespace SessionGrains.Grains;

/// <summary>
/// One web session, as a coordinator: admission (<see cref="Admission"/>), the rules of its data
/// (<see cref="SessionDataRules"/>), its event log (<see cref="EventLog"/>) and idempotency ledger
/// (<see cref="IdempotencyLedger"/>) are separate types; this class orders them and writes every change through to
/// storage before it answers. Reads are served from memory. Lifetime (expiry, delete, rotate) is in SessionGrain.Lifetime.cs.
/// A session is activated on the silo that first calls it: in cluster mode that is the silo a front end's
/// <see cref="SessionRouterService"/> was chosen for, so later calls through it stay on one silo.
/// </summary>
[Orleans.Placement.PreferLocalPlacement]
public sealed partial class SessionGrain : Grain, ISessionGrain, IGrainState<SessionState>
{
    public const string StateName = "session";

    private readonly IGrainStorage _storage;
    private readonly SessionRules _rules;
    private readonly TimeProvider _clock;
    private readonly ILogger<SessionGrain> _logger;
    private readonly SessionMetrics _metrics;
    private TokenBucket _bucket;
    private SessionSubscribers? _subscribers;
    private DateTimeOffset _lastAccess;
    private DateTimeOffset _activatedAt;
    private IGrainTimer? _expiryTimer;
    private bool _countedActive;

    public SessionGrain(
        [FromKeyedServices(SessionStorage.Name)] IGrainStorage storage,
        IOptions<SessionRules> options,
        TimeProvider clock,
        SessionMetrics metrics,
        ILogger<SessionGrain> logger)
    {
        _storage = storage;
        _metrics = metrics;
        _rules = options.Value;
        _clock = clock;
        _logger = logger;
        _bucket = new TokenBucket(_rules.RequestsPerSecond);
    }

    private SessionState S => _state;

    private string Id => this.GetPrimaryKeyString();

    private SessionInfo Info(SessionState state, DateTimeOffset lastAccess) =>
        new(Id, state.Version, state.CreatedAt, lastAccess, state.ExpiresAt(lastAccess), state.UserId);

    public async Task<Reply<SessionInfo>> Create(SessionCreation creation)
    {
        if (Admission.Throttle(ref _bucket, _rules) is { } throttled) return throttled;
        var fingerprint = IdempotencyLedger.Fingerprint([.. creation.Data.OrderBy(e => e.Key, StringComparer.Ordinal).SelectMany(e => new[] { e.Key, e.Value }),
            creation.IdleTimeout?.Ticks.ToString(System.Globalization.CultureInfo.InvariantCulture), creation.UserId]);
        var now = _clock.GetUtcNow();
        if (IdempotencyLedger.TryReplay<SessionInfo>(S.Ledger, creation.IdempotencyKey, "create", fingerprint, now, out var replay)) return replay;
        if (S.Version > 0) return new SessionFailure(SessionStatus.AlreadyExists, "A session with this id exists.");

        var idle = creation.IdleTimeout ?? _rules.DefaultIdleTimeout;
        if (!_rules.AllowsIdleTimeout(idle)) return new SessionFailure(SessionStatus.InvalidArgument, _rules.IdleTimeoutRule);
        var data = SessionDataRules.Create(creation.Data, _rules);
        if (!data.Succeeded) return data.Failure;

        var next = new SessionState
        {
            Data = data.Value.Data,
            Version = 1,
            CreatedAt = now,
            IdleTimeout = idle,
            AbsoluteExpiry = now + _rules.AbsoluteLifetime,
            UserId = creation.UserId,
        };
        // Indexed before stored: a crash in between leaves an index entry the index drops later, never a lost one.
        if (creation.UserId is { } userId) await UserIndex(userId).Add(Id, now);
        var reply = await Commit(next, now, creation.IdempotencyKey, "create", fingerprint, Info(next, now));
        Started();
        _metrics.Created();
        return reply;
    }

    public async Task<Reply<SessionView>> Get()
    {
        if (await Enter() is { } refused) return refused;
        return new SessionView(Info(S, _lastAccess), S.Data);
    }

    public async Task<Reply<SessionValue>> GetValue(string key)
    {
        if (await Enter() is { } refused) return refused;
        return SessionDataRules.Read(S.Data, S.Version, key, _rules);
    }

    public Task<Reply<Written>> Put(string key, string json, SessionWrite write) =>
        Change(write, "put", IdempotencyLedger.Fingerprint(key, json), () => SessionDataRules.Put(S.Data, key, json, _rules));

    public Task<Reply<Written>> Remove(string key, SessionWrite write) =>
        Change(write, "remove", IdempotencyLedger.Fingerprint(key), () => SessionDataRules.Remove(S.Data, key, _rules));

    public Task<Reply<Written>> Patch(string mergePatchJson, SessionWrite write) =>
        Change(write, "patch", IdempotencyLedger.Fingerprint(mergePatchJson), () => SessionDataRules.Patch(S.Data, mergePatchJson, _rules));

    public async Task<Reply<Counted>> Increment(string key, long by, SessionWrite write)
    {
        var fingerprint = IdempotencyLedger.Fingerprint(key, by.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (await EnterWrite<Counted>(write, "increment", fingerprint) is { } refused) return refused;
        var change = SessionDataRules.Increment(S.Data, key, by, _rules);
        if (!change.Succeeded) return change.Failure;
        var next = Changed(change.Value);
        return await Commit(next, _lastAccess, write.IdempotencyKey, "increment", fingerprint, new Counted(change.Value.Counter!.Value, next.Version));
    }

    public async Task<Reply<SessionPlacement>> GetPlacement()
    {
        if (await Enter() is { } refused) return refused;
        return Placement;
    }

    public async Task<Reply<SessionInspection>> Inspect()
    {
        if (await EnsureLive(_clock.GetUtcNow()) is { } gone) return gone;
        return new SessionInspection(new SessionView(Info(S, _lastAccess), S.Data), Placement);
    }

    public async Task<Reply<SessionInfo>> Touch()
    {
        if (await Enter() is { } refused) return refused;
        return Info(S, _lastAccess);
    }

    public async Task<Reply<Published>> Publish(string json, SessionWrite write)
    {
        var fingerprint = IdempotencyLedger.Fingerprint(json);
        if (await EnterWrite<Published>(write, "publish", fingerprint) is { } refused) return refused;
        if (SessionDataRules.CheckMessage(json, _rules) is { } tooLarge) return tooLarge;
        var seq = S.NextSeq;
        var next = EventLog.Append(S, SessionEventKind.Message, S.Version, [], json, _rules);
        return await Commit(next, _lastAccess, write.IdempotencyKey, "publish", fingerprint, new Published(seq));
    }

    public async Task<Reply<Subscribed>> Subscribe(ISessionObserver observer, int sockets)
    {
        if (Admission.Throttle(ref _bucket, _rules) is { } throttled) return throttled;
        if (await EnsureLive(_clock.GetUtcNow()) is { } gone) return gone;
        _subscribers ??= new SessionSubscribers(_rules.SubscriptionLifetime, _logger);
        if (_subscribers.Subscribe(observer, sockets, _rules.MaxSocketsPerSession) is { } full) return full;
        // Subscribers are told of expiry when it happens, not at their next request.
        ScheduleExpiryCheck();
        return new Subscribed(S.NextSeq - 1);
    }

    public Task Unsubscribe(ISessionObserver observer)
    {
        _subscribers?.Unsubscribe(observer);
        return Task.CompletedTask;
    }

    public async Task<Reply<EventPage>> GetEvents(long afterSeq)
    {
        if (Admission.Throttle(ref _bucket, _rules) is { } throttled) return throttled;
        // A deleted or rotated session still answers from its tombstone's log, so sockets learn it ended.
        if (S.Tombstone is null && await EnsureLive(_clock.GetUtcNow()) is { } gone) return gone;
        return EventLog.After(S, afterSeq);
    }

    private SessionPlacement Placement => new(GrainContext.Address.SiloAddress!.ToParsableString(), _activatedAt);

    /// <summary>A data change: admission, the rule, then the commit of a new version.</summary>
    private async Task<Reply<Written>> Change(SessionWrite write, string operation, ulong fingerprint, Func<Reply<DataChange>> rule)
    {
        if (await EnterWrite<Written>(write, operation, fingerprint) is { } refused) return refused;
        var change = rule();
        if (!change.Succeeded) return change.Failure;
        // An empty merge patch changes nothing: no new version, nothing stored.
        if (change.Value.IsEmpty) return new Written(S.Version);
        var next = Changed(change.Value);
        return await Commit(next, _lastAccess, write.IdempotencyKey, operation, fingerprint, new Written(next.Version));
    }

    private SessionState Changed(DataChange change)
    {
        var version = S.Version + 1;
        return EventLog.Append(S with { Data = change.Data, Version = version }, SessionEventKind.Changed, version, change.Keys, null, _rules);
    }

    /// <summary>
    /// Writes <paramref name="next"/> through to storage with <paramref name="reply"/> in the idempotency ledger, then
    /// pushes the new events to subscribers. On a storage failure the previous state stays in force and the call fails.
    /// </summary>
    private async Task<T> Commit<T>(SessionState next, DateTimeOffset now, string? idempotencyKey, string operation, ulong fingerprint, T reply)
        where T : class
    {
        next = next with
        {
            LastAccessAt = now,
            Ledger = IdempotencyLedger.Record(next.Ledger, idempotencyKey, operation, fingerprint, (Reply<T>)reply, now, _rules),
        };
        var firstNewSeq = S.NextSeq;
        await Persist(next);
        _lastAccess = now;
        if (_subscribers is not null) await _subscribers.Notify(Id, EventLog.Since(next, firstNewSeq));
        return reply;
    }

    private IUserSessionsGrain UserIndex(string userId) => GrainFactory.GetGrain<IUserSessionsGrain>(userId);

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;
}
