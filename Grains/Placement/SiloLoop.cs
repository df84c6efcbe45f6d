namespace SessionGrains.Grains.Placement;

/// <summary>
/// A silo's background loop tied to one lifecycle stage: started when the stage starts, cancelled and awaited when it
/// stops, so nothing of it outlives the silo. The body ends quietly when cancelled.
/// </summary>
public sealed class SiloLoop
{
    private readonly CancellationTokenSource _stopping = new();
    private Task _running = Task.CompletedTask;

    /// <summary>Cancelled when the stage stops.</summary>
    public CancellationToken Stopping => _stopping.Token;

    public void RunDuring(ISiloLifecycle lifecycle, string name, int stage, Func<CancellationToken, Task> body) =>
        lifecycle.Subscribe(name, stage, _ =>
        {
            _running = Task.Run(async () =>
            {
                try
                {
                    await body(_stopping.Token);
                }
                catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
                {
                }
            });
            return Task.CompletedTask;
        }, async _ =>
        {
            await _stopping.CancelAsync();
            await _running.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        });
}
