using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Storage;
using Orleans.Utilities;
using SessionGrains.Grains.Telemetry;
using SessionGrains.Interfaces;

namespace SessionGrains.Grains;

/// <summary>
/// One web session. Reads are served from memory; every change is written to storage before it is
/// acknowledged. Sliding expiry is tracked in memory and persisted at most once per half idle timeout.
/// </summary>
public sealed partial class SessionGrain : Grain, ISessionGrain
{
    public const string StateName = "session";

    /// <summary>Idempotency keys the front end assigns to writes that came without one.</summary>
    public const string FrontEndKeyPrefix = "fe:";

    private readonly IPersistentState<SessionState> _store;
    private readonly SessionOptions _options;
    private readonly TimeProvider _clock;
    private readonly ILogger<SessionGrain> _logger;
    private readonly SessionMetrics _metrics;
    private TokenBucket _bucket;
    // Created with the first WebSocket subscriber: most sessions never have one, and idle activations stay small.
    private ObserverManager<ISessionObserver, SessionSubscriber>? _subscribers;
    private DateTimeOffset _lastAccess;
    private DateTimeOffset _activatedAt;
    private IGrainTimer? _expiryTimer;
    private bool _countedActive;

    public SessionGrain(
        [PersistentState(StateName, SessionStorage.Name)] IPersistentState<SessionState> store,
        IOptions<SessionOptions> options,
        TimeProvider clock,
        SessionMetrics metrics,
        ILogger<SessionGrain> logger)
    {
        _store = store;
        _metrics = metrics;
        _options = options.Value;
        _clock = clock;
        _logger = logger;
        _bucket = new TokenBucket(_options.RequestsPerSecond);
    }

    private SessionState S => _store.State;

    private string Id => this.GetPrimaryKeyString();

    private SessionPlacement Placement => new(GrainContext.Address.SiloAddress!.ToParsableString(), _activatedAt);

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _activatedAt = _clock.GetUtcNow();
        _lastAccess = S.LastAccessAt;
        if (S.Exists) Started();
        return Task.CompletedTask;
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (!S.Exists) return;
        try
        {
            // An idle activation is collected well before its session expires; one that outlived its session ends it.
            if (_clock.GetUtcNow() >= S.ExpiresAt(_lastAccess)) await Expire();
            // Keep the sliding window exact across reactivation: the last read may be newer than the last write.
            else if (_lastAccess > S.LastAccessAt) await Persist(S.Copy());
        }
        catch (Exception ex)
        {
            LogDeactivationWriteFailed(ex, Id);
        }
        finally
        {
            CountActive(false);
        }
    }

    public async Task<SessionReply> Create(SessionCreation creation)
    {
        if (Throttle() is { } throttled) return throttled;
        if (Replay(creation.IdempotencyKey) is { } replay) return replay;
        if (S.Version > 0) return SessionReply.Fail(SessionStatus.AlreadyExists, "A session with this id exists.");

        var idle = creation.IdleTimeout ?? _options.DefaultIdleTimeout;
        if (!_options.AllowsIdleTimeout(idle)) return SessionReply.Fail(SessionStatus.InvalidArgument, _options.IdleTimeoutRule);

        var data = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, json) in creation.Data)
        {
            if (CheckValue(key, json) is { } invalid) return invalid;
            data[key] = json;
        }
        if (CheckSize(data) is { } tooLarge) return tooLarge;

        var now = _clock.GetUtcNow();
        var next = new SessionState
        {
            Data = data,
            Version = 1,
            CreatedAt = now,
            IdleTimeout = idle,
            AbsoluteExpiry = now + _options.AbsoluteLifetime,
            UserId = creation.UserId,
        };
        // Indexed before stored: a crash in between leaves an index entry the index drops later, never a lost one.
        if (creation.UserId is { } userId) await UserIndex(userId).Add(Id, now);
        var reply = await Commit(next, now, creation.IdempotencyKey,
            state => new SessionReply { Status = SessionStatus.Created, Version = state.Version, Session = InfoOf(state, now) });
        Started();
        _metrics.Created();
        return reply;
    }

    public async Task<SessionReply> Get()
    {
        if (await Enter() is { } refusal) return refusal;
        return new SessionReply { Status = SessionStatus.Ok, Version = S.Version, Session = InfoOf(S, _lastAccess), Data = S.Data };
    }

    public async Task<SessionReply> GetValue(string key)
    {
        if (await Enter() is { } refusal) return refusal;
        if (!SessionKeys.IsValidKey(key, _options.MaxKeyLength)) return InvalidKey(key);
        return S.Data.TryGetValue(key, out var json)
            ? new SessionReply { Status = SessionStatus.Ok, Version = S.Version, Json = json }
            : SessionReply.Fail(SessionStatus.KeyNotFound, $"The session has no key '{key}'.");
    }

    public async Task<SessionReply> Put(string key, string json, SessionWrite write)
    {
        if (await EnterWrite(write) is { } refusal) return refusal;
        if (CheckValue(key, json) is { } invalid) return invalid;

        var next = S.Copy();
        next.Data[key] = json;
        if (CheckSize(next.Data) is { } tooLarge) return tooLarge;
        return await CommitChange(next, [key], write.IdempotencyKey);
    }

    public async Task<SessionReply> Remove(string key, SessionWrite write)
    {
        if (await EnterWrite(write) is { } refusal) return refusal;
        if (!SessionKeys.IsValidKey(key, _options.MaxKeyLength)) return InvalidKey(key);
        if (!S.Data.ContainsKey(key)) return SessionReply.Fail(SessionStatus.KeyNotFound, $"The session has no key '{key}'.");

        var next = S.Copy();
        next.Data.Remove(key);
        return await CommitChange(next, [key], write.IdempotencyKey);
    }

    public async Task<SessionReply> Patch(string mergePatchJson, SessionWrite write)
    {
        if (await EnterWrite(write) is { } refusal) return refusal;
        if (ParseMergePatch(mergePatchJson) is not JsonObject patch)
            return SessionReply.Fail(SessionStatus.InvalidArgument, "A merge patch of session data must be a JSON object whose member names are distinct.");

        var next = S.Copy();
        var keys = new List<string>(patch.Count);
        foreach (var (key, value) in patch)
        {
            if (!SessionKeys.IsValidKey(key, _options.MaxKeyLength)) return InvalidKey(key);
            keys.Add(key);
            if (value is null)
            {
                next.Data.Remove(key);
                continue;
            }
            var merged = JsonMergePatch.Apply(next.Data.GetValueOrDefault(key), value);
            if (CheckValue(key, merged) is { } invalid) return invalid;
            next.Data[key] = merged;
        }
        if (keys.Count == 0) return new SessionReply { Status = SessionStatus.Ok, Version = S.Version };
        if (CheckSize(next.Data) is { } tooLarge) return tooLarge;
        return await CommitChange(next, [.. keys], write.IdempotencyKey);
    }

    public async Task<SessionReply> Increment(string key, long by, SessionWrite write)
    {
        if (await EnterWrite(write) is { } refusal) return refusal;
        if (!SessionKeys.IsValidKey(key, _options.MaxKeyLength)) return InvalidKey(key);

        long current = 0;
        if (S.Data.TryGetValue(key, out var json) && !long.TryParse(json, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out current))
            return SessionReply.Fail(SessionStatus.NotAnInteger, $"Key '{key}' holds a value that is not an integer.");
        long value;
        try
        {
            value = checked(current + by);
        }
        catch (OverflowException)
        {
            return SessionReply.Fail(SessionStatus.NotAnInteger, $"Adding {by} to key '{key}' would overflow a 64-bit integer.");
        }

        var next = S.Copy();
        next.Data[key] = value.ToString(CultureInfo.InvariantCulture);
        if (CheckSize(next.Data) is { } tooLarge) return tooLarge;
        return await CommitChange(next, [key], write.IdempotencyKey, value);
    }

    public async Task<SessionReply> Delete(SessionWrite write)
    {
        if (await EnterWrite(write) is { } refusal) return refusal;
        var now = _clock.GetUtcNow();
        var next = Tombstoned(rotatedTo: null, now);
        AppendEvent(next, SessionEventKind.Deleted, next.Version, [], null);
        var reply = await Commit(next, now, write.IdempotencyKey, state => new SessionReply { Status = SessionStatus.Ok, Version = state.Version });
        LogSessionEnded(Id, "deleted");
        Ended();
        if (S.UserId is { } userId) await UserIndex(userId).Remove(Id);
        return reply;
    }

    public async Task<SessionReply> Rotate(string newId, SessionWrite write)
    {
        if (await EnterWrite(write) is { } refusal) return refusal;
        if (!SessionKeys.IsValidId(newId) || newId == Id) return SessionReply.Fail(SessionStatus.InvalidArgument, "The new session id is not valid.");

        var transfer = new SessionTransfer(Id, S.Data, S.Version, S.CreatedAt, S.IdleTimeout, S.AbsoluteExpiry, S.UserId, S.NextSeq);
        // The new id holds a full copy before this id dies: a crash in between leaves the session usable
        // under the old token, and a retry under the same idempotency key completes the hand-over.
        var adopted = await GrainFactory.GetGrain<ISessionGrain>(newId).Adopt(transfer);
        if (!adopted.Succeeded) return adopted;

        var now = _clock.GetUtcNow();
        var next = Tombstoned(rotatedTo: newId, now);
        AppendEvent(next, SessionEventKind.Deleted, next.Version, [], null);
        var reply = await Commit(next, now, write.IdempotencyKey,
            _ => new SessionReply { Status = SessionStatus.Ok, Version = adopted.Version, Session = adopted.Session });
        LogSessionEnded(Id, "rotated");
        Ended();
        if (S.UserId is { } userId) await UserIndex(userId).Remove(Id);
        return reply;
    }

    public async Task<SessionReply> Adopt(SessionTransfer transfer)
    {
        if (S.Version > 0 && S.AdoptedFrom != transfer.FromId)
            return SessionReply.Fail(SessionStatus.AlreadyExists, "A session with this id exists.");

        var now = _clock.GetUtcNow();
        var next = new SessionState
        {
            Data = new Dictionary<string, string>(transfer.Data, StringComparer.Ordinal),
            Version = transfer.Version,
            CreatedAt = transfer.CreatedAt,
            IdleTimeout = transfer.IdleTimeout,
            AbsoluteExpiry = transfer.AbsoluteExpiry,
            UserId = transfer.UserId,
            NextSeq = transfer.NextSeq,
            AdoptedFrom = transfer.FromId,
        };
        if (transfer.UserId is { } userId) await UserIndex(userId).Add(Id, transfer.CreatedAt);
        var reply = await Commit(next, now, null,
            state => new SessionReply { Status = SessionStatus.Ok, Version = state.Version, Session = InfoOf(state, now) });
        Started();
        return reply;
    }

    public async Task<SessionReply> GetPlacement()
    {
        if (await Enter() is { } refusal) return refusal;
        return new SessionReply { Status = SessionStatus.Ok, Version = S.Version, Placement = Placement };
    }

    public async Task<SessionReply> Inspect()
    {
        if (await EnsureLive(_clock.GetUtcNow()) is { } gone) return gone;
        return new SessionReply
        {
            Status = SessionStatus.Ok,
            Version = S.Version,
            Session = InfoOf(S, _lastAccess),
            Data = S.Data,
            Placement = Placement,
        };
    }

    public async Task<SessionReply> Touch() =>
        await Enter() ?? new SessionReply { Status = SessionStatus.Ok, Version = S.Version, Session = InfoOf(S, _lastAccess) };

    public async Task<SessionReply> Publish(string json, SessionWrite write)
    {
        if (await EnterWrite(write) is { } refusal) return refusal;
        if (Encoding.UTF8.GetByteCount(json) > _options.MaxValueBytes)
            return SessionReply.Fail(SessionStatus.ValueTooLarge, $"A message may be at most {_options.MaxValueBytes} bytes.");

        var next = S.Copy();
        var seq = next.NextSeq;
        AppendEvent(next, SessionEventKind.Message, next.Version, [], json);
        return await Commit(next, _lastAccess, write.IdempotencyKey, state => new SessionReply { Status = SessionStatus.Ok, Version = state.Version, Seq = seq });
    }

    public async Task<SessionReply> Subscribe(ISessionObserver observer, int sockets)
    {
        if (Throttle() is { } throttled) return throttled;
        if (await EnsureLive(_clock.GetUtcNow()) is { } gone) return gone;

        _subscribers ??= new ObserverManager<ISessionObserver, SessionSubscriber>(_options.SubscriptionLifetime, _logger);
        var others = _subscribers.Where(s => !s.Observer.Equals(observer)).Sum(s => s.Sockets);
        if (others + sockets > _options.MaxSocketsPerSession)
            return SessionReply.Fail(SessionStatus.TooManySockets, $"A session may have at most {_options.MaxSocketsPerSession} open WebSockets.");
        _subscribers.Subscribe(observer, new SessionSubscriber(observer, sockets));
        // Subscribers are told of expiry when it happens, not at their next request.
        ScheduleExpiryCheck();
        return new SessionReply { Status = SessionStatus.Ok, Version = S.Version, Seq = S.NextSeq - 1 };
    }

    public Task Unsubscribe(ISessionObserver observer)
    {
        _subscribers?.Unsubscribe(observer);
        return Task.CompletedTask;
    }

    public async Task<SessionReply> GetEvents(long afterSeq)
    {
        if (Throttle() is { } throttled) return throttled;
        // A deleted or rotated session still answers from its tombstone's log, so sockets learn it ended.
        if (S.Tombstone is null && await EnsureLive(_clock.GetUtcNow()) is { } gone) return gone;

        var latest = S.NextSeq - 1;
        var oldestKept = S.Events.Count > 0 ? S.Events[0].Seq : S.NextSeq;
        var events = S.Events.Where(e => e.Seq > afterSeq).ToList();
        return new SessionReply
        {
            Status = SessionStatus.Ok,
            Version = S.Version,
            Seq = latest,
            Events = events,
            Gap = afterSeq < oldestKept - 1 || afterSeq > latest,
        };
    }

    /// <summary>Admits a call on a live session: rate limit, existence, expiry; counts it as access.</summary>
    private async Task<SessionReply?> Enter([CallerMemberName] string operation = "")
    {
        _metrics.Operation(operation);
        if (Throttle() is { } throttled) return throttled;
        var now = _clock.GetUtcNow();
        if (await EnsureLive(now) is { } gone) return gone;
        _lastAccess = now;

        // Persist the sliding expiry only when the stored one lags by half an idle timeout. A read does not
        // fail when storage is down: the refresh is tried again on the next read.
        var storedExpiry = S.ExpiresAt(S.LastAccessAt);
        if (S.ExpiresAt(now) - storedExpiry >= S.IdleTimeout / 2)
        {
            try
            {
                await Persist(S.Copy());
            }
            catch (Exception ex) when (ex is not InconsistentStateException)
            {
                LogExpiryRefreshFailed(ex, Id);
            }
        }
        return null;
    }

    /// <summary>Admits a write: the first outcome of a repeated idempotency key wins, then the version check.</summary>
    private async Task<SessionReply?> EnterWrite(SessionWrite write, [CallerMemberName] string operation = "")
    {
        _metrics.Operation(operation);
        if (Throttle() is { } throttled) return throttled;
        if (write.IdempotencyKey is { } key && key.Length > _options.MaxIdempotencyKeyLength)
            return SessionReply.Fail(SessionStatus.InvalidArgument, $"Idempotency-Key is longer than {_options.MaxIdempotencyKeyLength} characters.");
        if (Replay(write.IdempotencyKey) is { } replay) return replay;
        var now = _clock.GetUtcNow();
        if (await EnsureLive(now) is { } gone) return gone;
        _lastAccess = now;
        if (write.IfMatchVersion is { } expected && expected != S.Version)
            return SessionReply.Fail(SessionStatus.VersionMismatch, $"The session is at version {S.Version}, not {expected}.");
        return null;
    }

    private SessionReply? Throttle() =>
        _bucket.TryTake(out var retryAfter)
            ? null
            : new SessionReply
            {
                Status = SessionStatus.RateLimited,
                RetryAfterSeconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)),
                Detail = $"This session may make at most {_options.RequestsPerSecond} requests a second.",
            };

    private SessionReply? Replay(string? idempotencyKey)
    {
        if (idempotencyKey is null) return null;
        var now = _clock.GetUtcNow();
        foreach (var outcome in S.Outcomes)
        {
            if (outcome.Key == idempotencyKey && outcome.KeepUntil > now) return outcome.Reply;
        }
        return null;
    }

    /// <summary>Null when the session is live; otherwise ends what is left of it and answers not found.</summary>
    private async Task<SessionReply?> EnsureLive(DateTimeOffset now)
    {
        if (S.Exists && now < S.ExpiresAt(_lastAccess)) return null;
        if (S.Exists) await Expire();
        else if (S.Tombstone is { } tombstone && now >= tombstone.KeepUntil) await Forget();
        return SessionReply.Fail(SessionStatus.SessionNotFound, "The session does not exist or has expired.");
    }

    private async Task Expire()
    {
        LogSessionEnded(Id, "expired");
        _metrics.Expired();
        CountActive(false);
        await Notify([new SessionEvent(S.NextSeq, SessionEventKind.Expired, S.Version, [], null)]);
        if (S.UserId is { } userId) await UserIndex(userId).Remove(Id);
        await Forget();
    }

    /// <summary>Pushes events to every subscribed front end; subscribers that fail or lapse are dropped.</summary>
    private Task Notify(IReadOnlyList<SessionEvent> events)
    {
        if (events.Count == 0 || _subscribers is not { Count: > 0 }) return Task.CompletedTask;
        var id = Id;
        return _subscribers.Notify(subscriber => subscriber.Observer.OnEvents(id, events));
    }

    /// <summary>Deletes the stored state and lets the activation go.</summary>
    private async Task Forget()
    {
        _expiryTimer?.Dispose();
        _expiryTimer = null;
        try
        {
            if (_store.RecordExists) await _store.ClearStateAsync();
        }
        catch (Exception ex)
        {
            // Storage purges the record by itself after PurgeAfter; the session is gone either way.
            LogClearFailed(ex, Id);
        }
        _store.State = new SessionState();
        _subscribers?.Clear();
        DeactivateOnIdle();
    }

    private void ScheduleExpiryCheck()
    {
        var due = S.ExpiresAt(_lastAccess) - _clock.GetUtcNow();
        if (due < TimeSpan.Zero) due = TimeSpan.Zero;
        if (_expiryTimer is null)
        {
            _expiryTimer = this.RegisterGrainTimer(CheckExpiry, new GrainTimerCreationOptions(due, Timeout.InfiniteTimeSpan) { KeepAlive = false });
        }
        else
        {
            _expiryTimer.Change(due, Timeout.InfiniteTimeSpan);
        }
    }

    private async Task CheckExpiry(CancellationToken cancellationToken)
    {
        if (!S.Exists) return;
        if (_clock.GetUtcNow() >= S.ExpiresAt(_lastAccess)) await Expire();
        else ScheduleExpiryCheck();
    }

    /// <summary>
    /// A live session is in memory. It is expired by a timer only when that can happen before Orleans collects the
    /// idle activation (short idle timeouts) or when WebSockets wait for the news; otherwise deactivation or the
    /// next call ends it, and an idle session costs no timer.
    /// </summary>
    private void Started()
    {
        CountActive(true);
        if (S.IdleTimeout < _options.ActivationIdleTime) ScheduleExpiryCheck();
    }

    private SessionState Tombstoned(string? rotatedTo, DateTimeOffset now) => new()
    {
        Version = S.Version + 1,
        CreatedAt = S.CreatedAt,
        IdleTimeout = S.IdleTimeout,
        AbsoluteExpiry = S.AbsoluteExpiry,
        UserId = S.UserId,
        NextSeq = S.NextSeq,
        Events = [.. S.Events],
        Outcomes = [.. S.Outcomes],
        Tombstone = new SessionTombstone(rotatedTo, S.ExpiresAt(now)),
    };

    private Task<SessionReply> CommitChange(SessionState next, string[] keys, string? idempotencyKey, long? counter = null)
    {
        next.Version = S.Version + 1;
        AppendEvent(next, SessionEventKind.Changed, next.Version, keys, null);
        return Commit(next, _lastAccess, idempotencyKey,
            state => new SessionReply { Status = SessionStatus.Ok, Version = state.Version, Counter = counter });
    }

    /// <summary>Writes <paramref name="next"/> through to storage, remembering the reply under the idempotency key.</summary>
    private async Task<SessionReply> Commit(SessionState next, DateTimeOffset now, string? idempotencyKey, Func<SessionState, SessionReply> replyOf)
    {
        next.LastAccessAt = now;
        var reply = replyOf(next);
        next.Outcomes.RemoveAll(outcome => outcome.KeepUntil <= now);
        if (idempotencyKey is not null)
        {
            var window = idempotencyKey.StartsWith(FrontEndKeyPrefix, StringComparison.Ordinal) ? _options.FrontEndIdempotencyWindow : _options.IdempotencyWindow;
            next.Outcomes.Add(new IdempotentOutcome(idempotencyKey, reply, now + window));
            if (next.Outcomes.Count > _options.IdempotencyKeysKept) next.Outcomes.RemoveRange(0, next.Outcomes.Count - _options.IdempotencyKeysKept);
        }
        var firstNewSeq = S.NextSeq;
        await Persist(next);
        _lastAccess = now;
        await Notify(next.Events.Where(e => e.Seq >= firstNewSeq).ToList());
        return reply;
    }

    /// <summary>Stores <paramref name="next"/> as the state; on failure the previous state stays in force.</summary>
    private async Task Persist(SessionState next)
    {
        if (next.LastAccessAt < _lastAccess) next.LastAccessAt = _lastAccess;
        next.PurgeAfter = next.Tombstone is { } tombstone
            ? tombstone.KeepUntil + _options.PurgeGrace
            : Min(next.ExpiresAt(next.LastAccessAt) + next.IdleTimeout / 2, next.AbsoluteExpiry) + _options.PurgeGrace;

        var previous = _store.State;
        _store.State = next;
        try
        {
            await _store.WriteStateAsync();
        }
        catch (InconsistentStateException)
        {
            // Someone else wrote this session (a stale activation after a failover): reload on the next call.
            _store.State = previous;
            DeactivateOnIdle();
            throw;
        }
        catch
        {
            _store.State = previous;
            throw;
        }
    }

    private void AppendEvent(SessionState state, SessionEventKind kind, long version, string[] keys, string? messageJson)
    {
        state.Events.Add(new SessionEvent(state.NextSeq++, kind, version, keys, messageJson));
        if (state.Events.Count > _options.EventLogLength) state.Events.RemoveRange(0, state.Events.Count - _options.EventLogLength);

        // Messages can be large and the log is written with every change: bound its message bytes too.
        // Walking back from the newest event (always kept), drop everything older than where the budget runs out.
        var bytes = 0L;
        var oldestKept = state.Events.Count - 1;
        for (var i = state.Events.Count - 1; i >= 0; i--)
        {
            bytes += state.Events[i].MessageJson?.Length ?? 0;
            if (bytes > _options.EventLogMessageBytes && i < state.Events.Count - 1) break;
            oldestKept = i;
        }
        if (oldestKept > 0) state.Events.RemoveRange(0, oldestKept);
    }

    /// <summary>The patch as a JSON node, or null when it is not JSON or repeats a member name (a JsonObject cannot hold that).</summary>
    private static JsonNode? ParseMergePatch(string json)
    {
        try
        {
            return JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { AllowDuplicateProperties = false });
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private SessionReply? CheckValue(string key, string json)
    {
        if (!SessionKeys.IsValidKey(key, _options.MaxKeyLength)) return InvalidKey(key);
        if (Encoding.UTF8.GetByteCount(json) > _options.MaxValueBytes)
            return SessionReply.Fail(SessionStatus.ValueTooLarge, $"The value of '{key}' is larger than {_options.MaxValueBytes} bytes.");
        return null;
    }

    private SessionReply? CheckSize(IReadOnlyDictionary<string, string> data)
    {
        if (data.Count > _options.MaxKeys)
            return SessionReply.Fail(SessionStatus.TooManyKeys, $"A session holds at most {_options.MaxKeys} keys.");
        if (SizeOf(data) > _options.MaxSessionBytes)
            return SessionReply.Fail(SessionStatus.SessionTooLarge, $"Session data may total at most {_options.MaxSessionBytes} bytes.");
        return null;
    }

    private SessionReply InvalidKey(string key) =>
        SessionReply.Fail(SessionStatus.InvalidKey, SessionKeys.InvalidKeyDetail(key, _options.MaxKeyLength));

    private static int SizeOf(IReadOnlyDictionary<string, string> data)
    {
        var total = 0;
        foreach (var (key, json) in data) total += key.Length + Encoding.UTF8.GetByteCount(json);
        return total;
    }

    private SessionInfo InfoOf(SessionState state, DateTimeOffset lastAccess) =>
        new(Id, state.Version, state.CreatedAt, lastAccess, state.ExpiresAt(lastAccess), state.UserId);

    private void Ended()
    {
        _metrics.Deleted();
        CountActive(false);
    }

    /// <summary>Keeps the active-sessions gauge: one per activation that holds a live session.</summary>
    private void CountActive(bool active)
    {
        if (active == _countedActive) return;
        _countedActive = active;
        if (active) _metrics.Activated();
        else _metrics.Deactivated();
    }

    private IUserSessionsGrain UserIndex(string userId) => GrainFactory.GetGrain<IUserSessionsGrain>(userId);

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "Session {SessionId} {How}")]
    private partial void LogSessionEnded(string sessionId, string how);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Warning, Message = "Could not delete the stored state of session {SessionId}; storage purges it later")]
    private partial void LogClearFailed(Exception ex, string sessionId);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Warning, Message = "Could not refresh the stored expiry of session {SessionId}; will retry")]
    private partial void LogExpiryRefreshFailed(Exception ex, string sessionId);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Warning, Message = "Could not persist the last access of session {SessionId} on deactivation")]
    private partial void LogDeactivationWriteFailed(Exception ex, string sessionId);
}
