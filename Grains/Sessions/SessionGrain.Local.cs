using SessionGrains.Interfaces;

namespace SessionGrains.Grains;

// Calls from a gateway in this process (LocalSessionGrains): queued on the activation's own scheduler, where they
// interleave with Orleans' calls as any call of this reentrant grain does. Orleans does not know of them, so the
// activation waits for them itself before it deactivates or moves, and takes none once that has begun.
public sealed partial class SessionGrain : ILocalSessionGrain
{
    private LocalSessionGrains? _local;
    private bool _localClosed;
    private int _localRunning;
    private TaskCompletionSource? _localDrained;

    /// <summary>Lists the activation for this process' gateway (at activation).</summary>
    private void OpenToLocalCalls()
    {
        _local = ServiceProvider.GetService(typeof(LocalSessionGrains)) as LocalSessionGrains;
        if (_local is { InUse: true }) _local.Add(Id, this);
    }

    Task<(bool Ran, T Result)> ILocalSessionGrain.TryRun<T>(Func<ISessionGrain, Task<T>> call)
    {
        var queued = new Task<Task<(bool Ran, T Result)>>(() => RunLocal(call));
        GrainContext.Scheduler.QueueTask(queued);
        return queued.Unwrap();
    }

    private async Task<(bool Ran, T Result)> RunLocal<T>(Func<ISessionGrain, Task<T>> call)
    {
        if (_localClosed) return (false, default!);
        _localRunning++;
        try
        {
            return (true, await call(this));
        }
        finally
        {
            if (--_localRunning == 0) _localDrained?.TrySetResult();
        }
    }

    /// <summary>At the start of deactivation: takes no more local calls and waits for those running (bounded by Orleans' deactivation timeout).</summary>
    private async Task CloseToLocalCalls(CancellationToken cancellationToken)
    {
        _localClosed = true;
        _local?.Remove(Id, this);
        if (_localRunning == 0) return;
        _localDrained ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        try
        {
            await _localDrained.Task.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // Orleans gives up waiting: what those calls wrote is stored or refused by revision like any stale activation's.
        }
    }
}
