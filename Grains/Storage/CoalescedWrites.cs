namespace SessionGrains.Grains.Storage;

/// <summary>
/// Writes a reentrant grain's state once for every change made before the call: callers that arrive while a write is
/// under way share the next one, so a burst of messages to one mailbox costs a few writes, not one each.
/// </summary>
public sealed class CoalescedWrites(Func<Task> write)
{
    private readonly SemaphoreSlim _writing = new(1, 1);
    private long _changes;
    private long _written;

    /// <summary>Returns once a write that includes every change made before this call has completed.</summary>
    public async Task Save()
    {
        var target = ++_changes;
        await _writing.WaitAsync();
        try
        {
            if (_written >= target) return;
            var including = _changes;
            await write();
            _written = including;
        }
        finally
        {
            _writing.Release();
        }
    }
}
