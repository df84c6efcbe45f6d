using Microsoft.Extensions.Logging;
using SessionGrains.Interfaces;

namespace SessionGrains.Grains;

// The session's lifetime: admission of calls on a live session, sliding and absolute expiry, and its ends
// (delete, rotate, eviction by a trusted caller, expiry).
public sealed partial class SessionGrain
{
    private Task? _ending;
    private Task? _loading;
    private bool _loaded;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _activatedAt = _clock.GetUtcNow();
        // A session that moved here live (SessionGrain.Migration.cs) brought its state along; any other reads it at its
        // first call (Loaded), except a creation, which needs no read at all (CreateAlone).
        if (_loaded && S.Exists) Started();
        OpenToLocalCalls();
        return Task.CompletedTask;
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        await CloseToLocalCalls(cancellationToken);
        if (!S.Exists) return;
        if (reason.ReasonCode == DeactivationReasonCode.Migrating)
        {
            // The state moves with the activation; should the move fail, the session reloads elsewhere as after a crash.
            CountActive(false);
            return;
        }
        try
        {
            // An idle activation is collected well before its session expires; one that outlived its session ends it.
            if (_clock.GetUtcNow() >= S.ExpiresAt(_lastAccess)) await Expire();
            // Keep the sliding window exact across reactivation: the last read may be newer than the last write.
            else if (_lastAccess > S.LastAccessAt) await Persist(S);
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

    public async Task<Reply<Written>> Delete(SessionWrite write)
    {
        const string operation = "delete";
        var fingerprint = IdempotencyLedger.Fingerprint(operation);
        await Gate();
        if (await EnterWrite<Written>(write, operation, fingerprint) is { } refused) return refused;
        return await End(rotatedTo: null, write.IdempotencyKey, operation, fingerprint, "deleted", next => new Written(next.Version));
    }

    public async Task<Reply<Written>> Evict()
    {
        await Gate();
        if (await EnsureLive(_clock.GetUtcNow()) is { } gone) return gone;
        return await End(rotatedTo: null, idempotencyKey: null, "evict", 0, "evicted", next => new Written(next.Version));
    }

    public Task<Reply<SessionInfo>> Rotate(string newId, SessionWrite write) => Exclusively(() => RotateAlone(newId, write));

    private async Task<Reply<SessionInfo>> RotateAlone(string newId, SessionWrite write)
    {
        await Loaded();
        // A dead id never hands out a token, not even by replaying the rotation that killed it.
        if (S.Tombstone is not null) return Admission.NotFound;
        const string operation = "rotate";
        var fingerprint = IdempotencyLedger.Fingerprint(operation);
        if (await EnterWrite<SessionInfo>(write, operation, fingerprint) is { } refused) return refused;
        if (!SessionKeys.IsValidId(newId) || newId == Id) return new SessionFailure(SessionStatus.InvalidArgument, "The new session id is not valid.");

        // The new id holds a full copy before this id dies: a crash in between leaves the session usable
        // under the old token, and a retry under the same idempotency key completes the hand-over.
        var adopted = await GrainFactory.GetGrain<ISessionGrain>(newId).Adopt(S.ToTransfer(Id));
        if (!adopted.Succeeded) return adopted;
        var rotated = adopted.Value;
        return await End(newId, write.IdempotencyKey, operation, fingerprint, "rotated", _ => rotated);
    }

    public Task<Reply<SessionInfo>> Adopt(SessionTransfer transfer) => Exclusively(() => AdoptAlone(transfer));

    private async Task<Reply<SessionInfo>> AdoptAlone(SessionTransfer transfer)
    {
        await Loaded();
        if (S.Version > 0 && S.AdoptedFrom != transfer.FromId)
            return new SessionFailure(SessionStatus.AlreadyExists, "A session with this id exists.");
        var now = _clock.GetUtcNow();
        var next = SessionState.From(transfer);
        if (transfer.UserId is { } userId) await UserIndex(userId).Add(Id, transfer.CreatedAt);
        var reply = await Commit(next, now, null, "adopt", 0, Info(next, now));
        Started();
        return reply;
    }

    /// <summary>Tombstones the session, tells subscribers, and takes it out of its user's index.</summary>
    private async Task<T> End<T>(string? rotatedTo, string? idempotencyKey, string operation, ulong fingerprint, string how, Func<SessionState, T> replyOf)
        where T : class
    {
        var now = _clock.GetUtcNow();
        var next = S.Tombstoned(rotatedTo, now);
        next = EventLog.Append(next, SessionEventKind.Deleted, next.Version, [], null, _rules);
        var reply = await Commit(next, now, idempotencyKey, operation, fingerprint, replyOf(next));
        LogSessionEnded(Id, how);
        _metrics.Deleted();
        CountActive(false);
        if (S.UserId is { } userId) await UserIndex(userId).Remove(Id);
        await EndJobs(S);
        return reply;
    }

    /// <summary>Admits a call on a live session: rate limit, existence, expiry; counts it as access.</summary>
    private async Task<SessionFailure?> Enter()
    {
        if (Admission.Throttle(ref _bucket, _rules) is { } throttled) return throttled;
        var now = _clock.GetUtcNow();
        if (await EnsureLive(now) is { } gone) return gone;
        _lastAccess = now;

        // Persist the sliding expiry only when the stored one lags by half an idle timeout. A read does not
        // fail when storage is down: the refresh is tried again on the next read.
        if (S.ExpiresAt(now) - S.ExpiresAt(S.LastAccessAt) >= S.IdleTimeout / 2)
        {
            try
            {
                await Persist(S);
            }
            catch (Exception ex) when (ex is not Orleans.Storage.InconsistentStateException)
            {
                LogExpiryRefreshFailed(ex, Id);
            }
        }
        return null;
    }

    /// <summary>Admits a write: rate limit, key syntax, a replay of the key's first answer, liveness, then If-Match.</summary>
    private async Task<Reply<T>?> EnterWrite<T>(SessionWrite write, string operation, ulong fingerprint) where T : class
    {
        if (Admission.Throttle(ref _bucket, _rules) is { } throttled) return throttled;
        if (Admission.CheckKey(write) is { } badKey) return badKey;
        var now = _clock.GetUtcNow();
        while (IdempotencyLedger.TryReplay<T>(KeysOf(S.Ledger), write.IdempotencyKey, operation, fingerprint, now, out var replay))
        {
            // A replay answers only what is stored. An answer still being written (a retry that overtook its first
            // attempt) waits for that write: stored, it is replayed; failed, it is gone and this call is the write.
            if (ReferenceEquals(S.Ledger, D.Ledger) || IdempotencyLedger.TryReplay<T>(D.Ledger, write.IdempotencyKey, operation, fingerprint, now, out _)) return replay;
            await Settled();
        }
        if (await EnsureLive(now) is { } gone) return gone;
        if (now > _lastAccess) _lastAccess = now;
        if (CheckLease(write) is { } lost) return lost;
        if (Admission.CheckVersion(write, S.Version) is { } mismatch) return mismatch;
        return null;
    }

    /// <summary>Null when the session is live; otherwise ends what is left of it and answers not found.</summary>
    private async Task<SessionFailure?> EnsureLive(DateTimeOffset now)
    {
        if (S.Exists && now < S.ExpiresAt(_lastAccess)) return null;
        if (S.Exists) await Expire();
        else if (S.Tombstone is { } tombstone && now >= tombstone.KeepUntil) await Forget();
        return Admission.NotFound;
    }

    /// <summary>
    /// A live session is in memory. It is expired by a timer only when that can happen before Orleans collects the
    /// idle activation (short idle timeouts) or when WebSockets wait for the news; otherwise deactivation or the
    /// next call ends it, and an idle session costs no timer.
    /// </summary>
    private void Started()
    {
        CountActive(true);
        if (S.IdleTimeout < _rules.ActivationIdleTime) ScheduleExpiryCheck();
    }

    private void ScheduleExpiryCheck()
    {
        var due = S.ExpiresAt(_lastAccess) - _clock.GetUtcNow();
        if (due < TimeSpan.Zero) due = TimeSpan.Zero;
        if (_expiryTimer is null)
            _expiryTimer = this.RegisterGrainTimer(CheckExpiry, new GrainTimerCreationOptions(due, Timeout.InfiniteTimeSpan) { KeepAlive = false });
        else
            _expiryTimer.Change(due, Timeout.InfiniteTimeSpan);
    }

    private async Task CheckExpiry(CancellationToken cancellationToken)
    {
        if (!S.Exists) return;
        if (_clock.GetUtcNow() >= S.ExpiresAt(_lastAccess)) await Expire();
        else ScheduleExpiryCheck();
    }

    /// <summary>Keeps the active-sessions gauge: one per activation that holds a live session.</summary>
    private void CountActive(bool active)
    {
        if (active == _countedActive) return;
        _countedActive = active;
        if (active) _metrics.Activated();
        else _metrics.Deactivated();
    }

    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "Session {SessionId} {How}")]
    private partial void LogSessionEnded(string sessionId, string how);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Warning, Message = "Could not delete the stored state of session {SessionId}; storage purges it later")]
    private partial void LogClearFailed(Exception ex, string sessionId);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Warning, Message = "Could not refresh the stored expiry of session {SessionId}; will retry")]
    private partial void LogExpiryRefreshFailed(Exception ex, string sessionId);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Warning, Message = "Could not persist the last access of session {SessionId} on deactivation")]
    private partial void LogDeactivationWriteFailed(Exception ex, string sessionId);
}
