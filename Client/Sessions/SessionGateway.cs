using Microsoft.Extensions.Options;
using SessionGrains.Client.Operations;
using SessionGrains.Interfaces;

namespace SessionGrains.Client.Sessions;

/// <summary>
/// Calls session grains under one deadline per request and retries across silo failures.
/// Retrying a write is safe because every write carries an idempotency key (the client's or the front end's).
/// </summary>
public sealed partial class SessionGateway(IGrainFactory grains, IOptions<FrontEndOptions> options, FrontEndMetrics metrics, ILogger<SessionGateway> logger)
{
    private readonly FrontEndOptions _options = options.Value;

    public async Task<TResult> Call<TResult>(string sessionId, Func<ISessionGrain, Task<TResult>> operation, CancellationToken cancellationToken)
    {
        var grain = grains.GetGrain<ISessionGrain>(sessionId);
        var deadline = TimeProvider.System.GetUtcNow() + _options.CallDeadline;
        var delay = _options.FirstRetryDelay;
        for (var attempt = 1; ; attempt++)
        {
            var remaining = deadline - TimeProvider.System.GetUtcNow();
            try
            {
                return await operation(grain).WaitAsync(remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero, cancellationToken);
            }
            catch (Exception ex) when (GrainFailures.IsTransient(ex) && deadline - TimeProvider.System.GetUtcNow() > delay)
            {
                LogRetry(ex.GetType().Name, sessionId, attempt);
                metrics.Retried(ex.GetType().Name);
                await Task.Delay(delay, cancellationToken);
                delay = delay * 2 < _options.MaxRetryDelay ? delay * 2 : _options.MaxRetryDelay;
            }
        }
    }

    [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "Retrying session {SessionId} after {Failure} (attempt {Attempt})")]
    private partial void LogRetry(string failure, string sessionId, int attempt);
}
