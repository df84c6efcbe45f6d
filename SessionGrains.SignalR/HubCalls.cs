using Microsoft.Extensions.Options;

namespace SessionGrains.SignalR;

/// <summary>
/// Retries a grain call until it succeeds or the deadline passes. Every call retried here is idempotent (envelopes
/// carry an id, memberships are sets), so a call that a silo stored just before it died is never stored twice.
/// </summary>
public sealed class HubCalls(IOptions<SessionGrainsHubOptions> options, TimeProvider clock)
{
    private static readonly TimeSpan FirstDelay = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(2);

    public async Task<T> Run<T>(Func<Task<T>> call, CancellationToken cancellationToken)
    {
        var deadline = clock.GetUtcNow() + options.Value.CallDeadline;
        var delay = FirstDelay;
        while (true)
        {
            try
            {
                return await call();
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested && ex is not ArgumentException && clock.GetUtcNow() + delay < deadline)
            {
                await Task.Delay(delay, clock, cancellationToken);
                delay = delay * 2 < MaxDelay ? delay * 2 : MaxDelay;
            }
        }
    }

    public Task Run(Func<Task> call, CancellationToken cancellationToken) =>
        Run(async () =>
        {
            await call();
            return true;
        }, cancellationToken);
}
