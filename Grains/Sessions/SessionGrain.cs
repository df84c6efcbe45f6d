using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SessionGrains.Grains.Storage;
using SessionGrains.Interfaces;

namespace SessionGrains.Grains;

/// <summary>
/// One web session, as a coordinator: admission (<see cref="Admission"/>), the rules of its data
/// (<see cref="SessionDataRules"/>), its event log (<see cref="EventLog"/>) and idempotency ledger
/// (<see cref="IdempotencyLedger"/>) are separate types; this class orders them and writes every change through to
/// storage before it answers, many concurrent changes in one storage write (group commit, SessionGrain.Storage.cs).
/// Reads are served from memory, as stored. Data changes and their commit are in SessionGrain.Commit.cs; lifetime
/// (expiry, delete, rotate) in SessionGrain.Lifetime.cs.
/// <para>
/// The grain is reentrant so that changes can join a write in flight. Every call applies its change to the head state
/// without awaiting in between, so the order of changes is the order of arrival, as in a non-reentrant grain. The few
/// operations that await something else between reading and changing the state (create, adopt, rotate) run alone
/// (<see cref="Exclusively{T}"/>).
/// </para>
/// A session is activated on the silo that first calls it: in cluster mode that is the silo a front end's
/// <see cref="SessionRouterService"/> was chosen for, so later calls through it stay on one silo.
/// </summary>
[Orleans.Placement.PreferLocalPlacement]
[Orleans.Concurrency.Reentrant]
public sealed partial class SessionGrain : Grain, ISessionGrain
{
    public const string StateName = "session";

    private readonly ISessionStore _store;
    private readonly SessionRules _rules;
    private readonly TimeProvider _clock;
    private readonly ILogger<SessionGrain> _logger;
    private readonly SessionMetrics _metrics;
    private TokenBucket _bucket;
    private SessionSubscribers? _subscribers;
    private DateTimeOffset _lastAccess;
    private LedgerKeys? _ledgerKeys;
    private DateTimeOffset _activatedAt;
    private IGrainTimer? _expiryTimer;
    private bool _countedActive;
    private Task? _exclusive;

    public SessionGrain(
        ISessionStore store,
        IOptions<SessionRules> options,
        TimeProvider clock,
        SessionMetrics metrics,
        ILogger<SessionGrain> logger)
    {
        _store = store;
        _metrics = metrics;
        _rules = options.Value;
        _clock = clock;
        _logger = logger;
        _bucket = new TokenBucket(_rules.RequestsPerSecond);
    }

    private SessionState S => _state;

    // The id, decoded once: Orleans decodes the key into a new string on every GetPrimaryKeyString.
    private string? _id;
    private string Id => _id ??= this.GetPrimaryKeyString();

    private SessionInfo Info(SessionState state, DateTimeOffset lastAccess) =>
        new(Id, state.Version, state.CreatedAt, lastAccess, state.ExpiresAt(lastAccess), state.UserId);

    public Task<Reply<SessionInfo>> Create(SessionCreation creation) => Exclusively(() => CreateAlone(creation));

    private async Task<Reply<SessionInfo>> CreateAlone(SessionCreation creation)
    {
        // A new id has no record, so a creation is written without reading the state first: storage refuses the write
        // if a record exists after all, and then the creation is decided again on the state read (a replay, or
        // AlreadyExists). Not with a user: the user's index is updated before the write.
        var unread = !_loaded && creation.UserId is null;
        if (!unread) await Loaded();
        if (Admission.Throttle(ref _bucket, _rules) is { } throttled) return throttled;
        var fingerprint = NewSession.Fingerprint(creation);
        var now = _clock.GetUtcNow();
        if (IdempotencyLedger.TryReplay<SessionInfo>(S.Ledger, creation.IdempotencyKey, NewSession.Operation, fingerprint, now, out var replay)) return replay;
        if (S.Version > 0) return new SessionFailure(SessionStatus.AlreadyExists, "A session with this id exists.");

        var built = NewSession.Build(creation, _rules, now);
        if (!built.Succeeded) return built.Failure;
        var next = built.Value;
        // Indexed before stored: a crash in between leaves an index entry the index drops later, never a lost one.
        if (creation.UserId is { } userId) await UserIndex(userId).Add(Id, now);
        Reply<SessionInfo> reply;
        try
        {
            reply = await Commit(next, now, creation.IdempotencyKey, NewSession.Operation, fingerprint, Info(next, now));
        }
        catch (Orleans.Storage.InconsistentStateException) when (unread)
        {
            await Loaded();
            return await CreateAlone(creation);
        }
        _loaded = true;
        Started();
        _metrics.Created();
        return reply;
    }

    public async Task<Reply<SessionView>> Get()
    {
        await Gate();
        if (await Enter() is { } refused) return refused;
        return new SessionView(Info(D, _lastAccess), D.Data);
    }

    public async Task<Reply<SessionValue>> GetValue(string key)
    {
        await Gate();
        if (await Enter() is { } refused) return refused;
        return SessionDataRules.Read(D.Data, D.Version, key, _rules);
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
        await Gate();
        if (await EnterWrite<Counted>(write, "increment", fingerprint) is { } refused) return refused;
        var change = SessionDataRules.Increment(S.Data, key, by, _rules);
        if (!change.Succeeded) return change.Failure;
        var now = _lastAccess;
        var reply = new Counted(change.Value.Counter!.Value, S.Version + 1);
        await Persist(Changed(change.Value, now, Recorded(S.Ledger, now, write.IdempotencyKey, "increment", fingerprint, (Reply<Counted>)reply)));
        return reply;
    }

    public async Task<Reply<SessionPlacement>> GetPlacement()
    {
        await Gate();
        if (await Enter() is { } refused) return refused;
        return Placement;
    }

    public async Task<Reply<SessionInspection>> Inspect()
    {
        await Gate();
        if (await EnsureLive(_clock.GetUtcNow()) is { } gone) return gone;
        return new SessionInspection(new SessionView(Info(D, _lastAccess), D.Data), Placement);
    }

    public async Task<Reply<SessionInfo>> Touch()
    {
        await Gate();
        if (await Enter() is { } refused) return refused;
        return Info(D, _lastAccess);
    }

    public async Task<Reply<Published>> Publish(string json, SessionWrite write)
    {
        var fingerprint = IdempotencyLedger.Fingerprint(json);
        await Gate();
        if (await EnterWrite<Published>(write, "publish", fingerprint) is { } refused) return refused;
        if (SessionDataRules.CheckMessage(json, _rules) is { } tooLarge) return tooLarge;
        var seq = S.NextSeq;
        var next = EventLog.Append(S, SessionEventKind.Message, S.Version, [], json, _rules);
        return await Commit(next, _lastAccess, write.IdempotencyKey, "publish", fingerprint, new Published(seq));
    }

    public async Task<Reply<Subscribed>> Subscribe(ISessionObserver observer, int sockets)
    {
        await Gate();
        if (Admission.Throttle(ref _bucket, _rules) is { } throttled) return throttled;
        if (await EnsureLive(_clock.GetUtcNow()) is { } gone) return gone;
        _subscribers ??= new SessionSubscribers(_rules.SubscriptionLifetime, _logger);
        if (_subscribers.Subscribe(observer, sockets, _rules.MaxSocketsPerSession) is { } full) return full;
        // Subscribers are told of expiry when it happens, not at their next request.
        ScheduleExpiryCheck();
        // The last stored event: events still being written reach the subscriber once stored (SessionGrain.Storage.cs).
        return new Subscribed(D.NextSeq - 1);
    }

    public Task Unsubscribe(ISessionObserver observer)
    {
        _subscribers?.Unsubscribe(observer);
        return Task.CompletedTask;
    }

    public async Task<Reply<EventPage>> GetEvents(long afterSeq)
    {
        await Gate();
        if (Admission.Throttle(ref _bucket, _rules) is { } throttled) return throttled;
        // A deleted or rotated session still answers from its tombstone's log, so sockets learn it ended.
        if (S.Tombstone is null && await EnsureLive(_clock.GetUtcNow()) is { } gone) return gone;
        return EventLog.After(D, afterSeq);
    }

    private SessionPlacement Placement => new(GrainContext.Address.SiloAddress!.ToParsableString(), _activatedAt);

    private IUserSessionsGrain UserIndex(string userId) => GrainFactory.GetGrain<IUserSessionsGrain>(userId);
}
