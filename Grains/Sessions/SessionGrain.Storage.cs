using System.Diagnostics;
using SessionGrains.Grains.Storage;

namespace SessionGrains.Grains;

// Persistence with group commit (issue 18). The grain keeps two states:
// - the head (_state, S): every change applied so far, in arrival order; writes are admitted and computed against it;
// - the stored state (_stored, D): what storage holds at _revision; reads, leases and event replays are served from it,
//   so nobody is shown a change before it is durable.
// A change is applied to the head and joins the open batch. One storage write is in flight at a time: the first change
// starts it at once, and the changes that arrive meanwhile are written together by the next one (one round trip,
// one delta from the stored state to the head). Each caller is answered when the write that holds its change is stored.
// A failed write fails its batch and every change applied after it (they were computed on top), and the head falls
// back to the stored state: nothing is acknowledged that storage does not have.
public sealed partial class SessionGrain
{
    private SessionState _state = SessionState.None;
    private SessionState _stored = SessionState.None;
    private long _revision;
    // The highest revision this activation has sent to storage. A revision names one content: "storage is at the
    // revision I wrote" must mean it holds what I wrote, even after a write that failed was stored on a Redis node that
    // a failover promotes later, or a new activation loaded from a node that had gone back. So a number is never sent
    // twice: each write takes the next number after every one this activation has seen, and no lower than the clock
    // in microseconds, so a later activation of the session does not take the numbers of an earlier one either.
    private long _issued;

    // The revisions of this activation's last writes that failed or were not confirmed by replicas (allocated at the
    // first: most sessions never have one). Any may be stored all the same: storage found at one holds this
    // activation's own write, not another activation's.
    private long[]? _unanswered;
    private int _unansweredNext;
    private const int UnansweredKept = 8;
    private void Unanswered(long revision)
    {
        (_unanswered ??= new long[UnansweredKept])[_unansweredNext] = revision;
        _unansweredNext = (_unansweredNext + 1) % UnansweredKept;
    }

    private bool IsUnanswered(long revision) => _unanswered is { } unanswered && Array.IndexOf(unanswered, revision) >= 0;

    /// <summary>The revision for a write over revision <paramref name="after"/>: unique (see <see cref="_issued"/>).</summary>
    private long NextRevision(long after)
    {
        var clock = (_clock.GetUtcNow() - DateTimeOffset.UnixEpoch).Ticks / 10;
        return _issued = Math.Max(Math.Max(_issued, after) + 1, clock);
    }
    private CommitBatch? _open;
    private CommitBatch? _inFlight;
    private bool _flushing;

    /// <summary>The stored (durable) state: what reads answer.</summary>
    private SessionState D => _stored;

    private static readonly ActivitySource Storage = new(SessionGrains.Interfaces.TelemetryNames.StorageSource);

    private async Task<StoredSession> ReadState()
    {
        using var span = Storage.StartActivity("ReadState");
        _metrics.StateRead();
        return await _store.Read(GrainContext.GrainId);
    }

    /// <summary>Deletes the stored record; only once every change before has settled.</summary>
    private async Task ClearStoredState()
    {
        await Settled();
        if (_revision == 0) return;
        using var span = Storage.StartActivity("ClearState");
        await _store.Clear(GrainContext.GrainId, _revision);
        _revision = 0;
    }

    /// <summary>Applies <paramref name="next"/> as the head; completes once storage has it (failed: throws, the head is the stored state again).</summary>
    private Task Persist(SessionState next)
    {
        WithdrawOffer();
        _state = NewSession.Stamped(next, next.LastAccessAt < _lastAccess ? _lastAccess : next.LastAccessAt, _rules);
        var batch = _open ??= new CommitBatch();
        batch.Changes++;
        if (!_flushing) _ = Flush();
        return batch.Done.Task;
    }

    /// <summary>Completes when every change applied so far is stored or has failed (never throws).</summary>
    private Task Settled()
    {
        var last = _open ?? _inFlight;
        return last is null ? Task.CompletedTask : last.Done.Task.ContinueWith(static _ => { }, CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Current);
    }

    /// <summary>Writes batches while changes wait; one write in flight at a time. Runs on the grain's scheduler.</summary>
    private async Task Flush()
    {
        _flushing = true;
        try
        {
            while (_open is { } batch)
            {
                _open = null;
                _inFlight = batch;
                var target = _state;
                Exception? ex = null;
                var stale = false;
                var written = NextRevision(_revision);
                try
                {
                    using var span = Storage.StartActivity("WriteState");
                    await _store.Write(GrainContext.GrainId, _revision, written, _stored, target);
                    _revision = written;
                }
                catch (Exception refused)
                {
                    ex = refused;
                    Unanswered(written);
                }
                if (ex is Orleans.Storage.InconsistentStateException inconsistent && _loaded) (ex, stale) = await Restore(target, inconsistent);
                if (ex is not null)
                {
                    _state = _stored;
                    var later = _open;
                    _open = null;
                    _inFlight = null;
                    if (stale)
                    {
                        // Storage holds a newer revision than this activation stored: another activation wrote this
                        // session. Storage is the truth: reload it on the next call (the front end retries the refused
                        // calls, which changed nothing). A refused creation written without a read (not loaded) reads and
                        // decides again; a failed restore keeps this state for the next attempt.
                        _metrics.StaleRevision();
                        LogStaleRevision(Id, _revision);
                        DeactivateOnIdle();
                    }
                    else if (ex is WriteNotReplicatedException)
                    {
                        // The primary has the write but no replica confirmed it: whether it survives is unknown, so the
                        // callers get 503. The activation keeps what it acknowledged (a failover may promote a replica
                        // that lacks even some confirmed writes: with fewer acks than replicas, sentinels can pick one that
                        // did not confirm them). Its next write settles it: storage at the unconfirmed revision, or gone
                        // back, refuses it, and the activation writes its state over what storage has (Restore).
                        _metrics.NotReplicated();
                        LogNotReplicated(Id, _issued);
                    }
                    batch.Done.TrySetException(ex);
                    later?.Done.TrySetException(ex);
                    return;
                }
                var firstNewSeq = _stored.NextSeq;
                _stored = target;
                _inFlight = null;
                _metrics.Committed(batch.Changes);
                if (_subscribers is not null)
                {
                    try
                    {
                        await _subscribers.Notify(Id, EventLog.Since(target, firstNewSeq));
                    }
                    catch (Exception notifyFailed)
                    {
                        LogNotifyFailed(notifyFailed, Id);
                    }
                }
                batch.Done.TrySetResult();
            }
        }
        finally
        {
            _flushing = false;
            HandOverLease();
        }
    }

    /// <summary>
    /// After a write refused for its revision. When storage holds a revision no newer than the last this activation
    /// stored, or one of its own writes that failed or was not confirmed, storage went back (a Redis failover promoted a
    /// replica that missed this activation's latest writes), kept a write whose caller was told it failed, or a read and
    /// a write reached different nodes while two acted as primary. In every case the activation still holds every write
    /// it acknowledged, so it writes <paramref name="target"/> over what storage has, and nothing acknowledged is lost
    /// while the activation lives. Answers null when that write is stored. Otherwise the failure to report, and
    /// whether storage is ahead (<paramref name="refused"/>: another activation wrote, storage is the truth, this one
    /// reloads); a failed read or restore keeps the activation's state for the next attempt (the callers may retry).
    /// </summary>
    private async Task<(Exception? Failure, bool Stale)> Restore(SessionState target, Exception refused)
    {
        StoredSession found;
        try
        {
            found = await ReadState();
        }
        catch (Exception readFailed)
        {
            return (readFailed, false);
        }
        // Revisions are never reused (see _issued): a revision at most ours is one this activation wrote, or an earlier one;
        // a newer one is another activation's, unless it is a write of this one that failed or was not confirmed.
        if (found.Revision > _revision && !IsUnanswered(found.Revision)) return (refused, true);
        try
        {
            using var span = Storage.StartActivity("RestoreState");
            var had = _revision;
            var written = NextRevision(found.Revision);
            try
            {
                await _store.Write(GrainContext.GrainId, found.Revision, written, found.State, target);
            }
            catch (Exception)
            {
                Unanswered(written);
                throw;
            }
            _revision = written;
            _metrics.Restored();
            LogRestored(Id, found.Revision, had);
            return (null, false);
        }
        catch (Orleans.Storage.InconsistentStateException again)
        {
            return (new SessionGrains.Interfaces.StorageUnsettledException($"Session {Id}: storage refused a write at revision {_revision}, but a read found revision {found.Revision}, this activation's own; its nodes disagree for now.", again), false);
        }
        catch (Exception ex)
        {
            return (ex, false);
        }
    }

    /// <summary>The changes that one storage write carries, and its outcome, which every caller of the batch awaits.</summary>
    private sealed class CommitBatch
    {
        public readonly TaskCompletionSource Done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public int Changes;
    }

    [Microsoft.Extensions.Logging.LoggerMessage(EventId = 1006, Level = Microsoft.Extensions.Logging.LogLevel.Warning,
        Message = "Session {SessionId}: storage holds a newer revision than {Revision}, the last this activation stored (another activation wrote it, or a write of this one stored without confirmation); reloading from storage")]
    private partial void LogStaleRevision(string sessionId, long revision);

    [Microsoft.Extensions.Logging.LoggerMessage(EventId = 1008, Level = Microsoft.Extensions.Logging.LogLevel.Warning,
        Message = "Session {SessionId}: storage was at revision {Found}, not {Had} (a Redis failover lost writes or kept one that had failed); wrote this activation's acknowledged state again")]
    private partial void LogRestored(string sessionId, long found, long had);

    [Microsoft.Extensions.Logging.LoggerMessage(EventId = 1007, Level = Microsoft.Extensions.Logging.LogLevel.Warning,
        Message = "Session {SessionId}: revision {Revision} was not confirmed by enough Redis replicas in time; not acknowledged")]
    private partial void LogNotReplicated(string sessionId, long revision);

    [Microsoft.Extensions.Logging.LoggerMessage(EventId = 1005, Level = Microsoft.Extensions.Logging.LogLevel.Warning,
        Message = "Could not push the events of session {SessionId} to its subscribers")]
    private partial void LogNotifyFailed(Exception ex, string sessionId);
}
