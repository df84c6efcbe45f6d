using Microsoft.Extensions.Options;
using SessionGrains.Client.Operations;
using SessionGrains.Interfaces;

namespace SessionGrains.Client.Jobs;

/// <summary>
/// Calls job grains under one deadline per call, retrying across silo failures and storage outages: a job on a silo
/// that died is activated elsewhere by the retry, and resumes there from its last checkpoint. Every job call is safe
/// to repeat (a start carries its job id, reads are reads, cancel and discard are idempotent).
/// </summary>
public sealed partial class JobGateway(IGrainFactory grains, IOptions<FrontEndOptions> options, FrontEndMetrics metrics, ILogger<JobGateway> logger)
{
    private readonly FrontEndOptions _options = options.Value;

    public IJobGrain Job(string sessionId, string jobId) => grains.Reference<IJobGrain>(JobKeys.GrainKey(sessionId, jobId));

    public ISessionJobsGrain Jobs(string sessionId) => grains.Reference<ISessionJobsGrain>(sessionId);

    public Task<T> Call<T>(Func<Task<T>> call, CancellationToken cancellationToken) => Call(call, _options.CallDeadline, cancellationToken);

    public async Task<T> Call<T>(Func<Task<T>> call, TimeSpan deadline, CancellationToken cancellationToken)
    {
        var end = TimeProvider.System.GetUtcNow() + deadline;
        var delay = _options.FirstRetryDelay;
        for (var attempt = 1; ; attempt++)
        {
            var remaining = end - TimeProvider.System.GetUtcNow();
            try
            {
                return await call().WaitAsync(remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero, cancellationToken);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested && GrainFailures.IsUnavailable(ex) && end - TimeProvider.System.GetUtcNow() > delay)
            {
                LogRetry(ex.GetType().Name, attempt);
                metrics.Retried(ex.GetType().Name);
                await Task.Delay(delay, cancellationToken);
                delay = delay * 2 < _options.MaxRetryDelay ? delay * 2 : _options.MaxRetryDelay;
            }
        }
    }

    [LoggerMessage(EventId = 3101, Level = LogLevel.Information, Message = "Retrying a job call after {Failure} (attempt {Attempt})")]
    private partial void LogRetry(string failure, int attempt);
}
