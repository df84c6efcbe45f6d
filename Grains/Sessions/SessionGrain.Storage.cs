using System.Diagnostics;
using Orleans.Storage;
using SessionGrains.Grains.Storage;

namespace SessionGrains.Grains;

// Persistence without a state facet: the grain is its own IGrainState and calls the "sessions" storage itself. An idle
// session then costs no facet, state wrapper, lifecycle registration or migration list (about 400 bytes each).
public sealed partial class SessionGrain
{
    private SessionState _state = SessionState.None;
    private string? _etag;
    private bool _recordExists;

    SessionState? IGrainState<SessionState>.State { get => _state; set => _state = value ?? SessionState.None; }

    string? IGrainState<SessionState>.ETag { get => _etag; set => _etag = value; }

    bool IGrainState<SessionState>.RecordExists { get => _recordExists; set => _recordExists = value; }

    private static readonly ActivitySource Storage = new(SessionGrains.Interfaces.TelemetryNames.StorageSource);

    private async Task ReadState()
    {
        using var span = Storage.StartActivity("ReadState");
        _metrics.StateRead();
        await _storage.ReadStateAsync(StateName, this.GetGrainId(), this);
    }

    private async Task WriteState()
    {
        using var span = Storage.StartActivity("WriteState");
        await _storage.WriteStateAsync(StateName, this.GetGrainId(), this);
    }

    private async Task ClearStoredState()
    {
        if (!_recordExists) return;
        using var span = Storage.StartActivity("ClearState");
        await _storage.ClearStateAsync(StateName, this.GetGrainId(), this);
    }

    /// <summary>Stores <paramref name="next"/> as the state; on failure the previous state stays in force.</summary>
    private async Task Persist(SessionState next)
    {
        var lastAccess = next.LastAccessAt < _lastAccess ? _lastAccess : next.LastAccessAt;
        next = next with
        {
            LastAccessAt = lastAccess,
            PurgeAfter = (next.Tombstone is { } tombstone
                ? tombstone.KeepUntil
                : Min(next.ExpiresAt(lastAccess) + next.IdleTimeout / 2, next.AbsoluteExpiry)) + _rules.PurgeGrace,
        };

        var previous = _state;
        _state = next;
        try
        {
            await WriteStateThrough();
        }
        catch (Orleans.Storage.InconsistentStateException)
        {
            // Someone else wrote this session (a stale activation after a failover): reload on the next call.
            _state = previous;
            DeactivateOnIdle();
            throw;
        }
        catch
        {
            _state = previous;
            throw;
        }
    }
}
