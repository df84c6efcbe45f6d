namespace SessionGrains.Grains;

// Loading and turn-taking of the reentrant session grain: the first call of an activation reads the state, and the
// operations that await another grain between reading and changing the state run alone (see SessionGrain.cs).
public sealed partial class SessionGrain
{
    /// <summary>Completes once the state is read from storage; the first call of an activation reads it, the others wait for that read.</summary>
    private Task Loaded() => _loaded ? Task.CompletedTask : _loading ??= Load();

    private async Task Load()
    {
        try
        {
            var stored = await ReadState();
            if (_loaded) return;
            _state = _stored = stored.State;
            _revision = stored.Revision;
            _issued = Math.Max(_issued, stored.Revision);
            _lastAccess = S.LastAccessAt;
            _loaded = true;
            if (S.Exists) Started();
        }
        finally
        {
            // A failed read (storage down) fails the calls that waited for it; the next call tries again.
            _loading = null;
        }
    }

    /// <summary>
    /// Completes when the state is loaded and no operation that runs alone (<see cref="Exclusively{T}"/>) is running or
    /// waiting: every call but those that run alone passes here first.
    /// </summary>
    private Task Gate() => _loaded && _exclusive is null ? Task.CompletedTask : WaitAtGate();

    private async Task WaitAtGate()
    {
        while (true)
        {
            // Never read the state while an operation runs alone: a creation may be writing it without a read.
            if (_exclusive is { } running) await running;
            else if (!_loaded) await Loaded();
            else return;
        }
    }

    /// <summary>
    /// Runs <paramref name="operation"/> alone: after the operations of this kind before it, once every change applied
    /// before it is stored (or failed), and with the calls that arrive meanwhile held at <see cref="Gate"/>. For operations
    /// that await another grain between reading the state and changing it, where an interleaved change would be lost.
    /// </summary>
    private async Task<T> Exclusively<T>(Func<Task<T>> operation)
    {
        WithdrawOffer();
        var before = _exclusive;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _exclusive = done.Task;
        try
        {
            if (before is not null) await before;
            // A read of the state started by a call before this one lands first.
            if (_loading is { } loading) await loading.ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Current);
            await Settled();
            return await operation();
        }
        finally
        {
            if (_exclusive == done.Task) _exclusive = null;
            done.SetResult();
        }
    }
}
