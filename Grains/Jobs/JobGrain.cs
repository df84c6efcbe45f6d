using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Storage;
using SessionGrains.Grains.Storage;
using SessionGrains.Interfaces;

namespace SessionGrains.Grains.Jobs;

/// <summary>
/// One job of one session. The grain runs the job's steps (JobGrain.Run.cs) on a non-interleaving grain timer, so its
/// requests (status, reads, cancel) and steps never overlap; each step's CPU runs on the thread pool. Output and
/// progress are checkpointed to storage at least every <see cref="JobRules.CheckpointInterval"/>; an Orleans reminder
/// brings a running job back after its silo died, and any activation of a running job resumes it from its last
/// checkpoint. Reads serve committed output only, so a byte a reader got is never recomputed differently.
/// </summary>
public sealed partial class JobGrain : Grain, IJobGrain, IRemindable
{
    private const string ReminderName = "job";

    private readonly IGrainStorage _storage;
    private readonly JobKinds _kinds;
    private readonly JobRules _rules;
    private readonly TimeProvider _clock;
    private readonly ILogger<JobGrain> _logger;
    private readonly JobMetrics _metrics;
    private readonly GrainState<JobState> _state = new(new JobState());
    private JobStore _store = null!;
    private DateTimeOffset _activatedAt;

    public JobGrain([FromKeyedServices(SessionStorage.Name)] IGrainStorage storage, JobKinds kinds, IOptions<JobRules> rules, TimeProvider clock, JobMetrics metrics, ILogger<JobGrain> logger)
    {
        _metrics = metrics;
        _storage = storage;
        _kinds = kinds;
        _rules = rules.Value;
        _clock = clock;
        _logger = logger;
    }

    private JobState S => _state.State!;

    private string SessionId => JobKeys.Parse(this.GetPrimaryKeyString()).SessionId;

    private string JobId => JobKeys.Parse(this.GetPrimaryKeyString()).JobId;

    private static readonly SessionFailure NotFound = new(SessionStatus.JobNotFound, "This session has no job with this id.");

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _activatedAt = _clock.GetUtcNow();
        _store = new JobStore(_storage, this.GetGrainId());
        _store.Owns = () => _store.StateStillHas(_state.ETag);
        await _store.ReadState(_state);
        _state.State ??= new JobState();
        if (!S.Exists) return;
        if (!S.IsFinished) await Begin(resumed: S.Status == JobStatus.Running);
        else if (!S.FinalEventSent) PublishFinal();
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        // Graceful shutdown (or any deactivation) of a running job: make what it computed durable first.
        if (_runner is null || S.IsFinished) return;
        StopRunner();
        try
        {
            if (_pending.Length > 0) await Checkpoint(final: false);
        }
        catch (Exception ex)
        {
            LogCheckpointFailed(ex, this.GetPrimaryKeyString());
        }
    }

    public async Task<Reply<JobInfo>> Start(JobStart start)
    {
        if (S.Exists) return Info();
        if (_kinds.Check(start, out _, out var plan) is { } refused) return refused;
        var now = _clock.GetUtcNow();
        var upload = start.Upload ?? [];
        var next = new JobState
        {
            Kind = start.Kind,
            InputJson = start.InputJson,
            Status = JobStatus.Queued,
            Steps = plan.Steps,
            ContentType = plan.ContentType,
            OutputLength = plan.OutputLength,
            CreatedAt = now,
            UploadBytes = upload.Length,
            UploadChunks = (upload.Length + _rules.ChunkBytes - 1) / _rules.ChunkBytes,
            ChunkBytes = _rules.ChunkBytes,
            PurgeAfter = now + _rules.MaxRunTime + _rules.Retention,
        };
        // The reminder first: a job stored without one could be stranded by a crash; a reminder without a job removes itself.
        await this.RegisterOrUpdateReminder(ReminderName, _rules.ReminderPeriod, _rules.ReminderPeriod);
        // The upload before the state that commits it.
        for (var i = 0; i < next.UploadChunks; i++)
        {
            var from = i * _rules.ChunkBytes;
            await _store.WriteChunk(JobStore.UploadChunk(i), upload.AsMemory(from, Math.Min(_rules.ChunkBytes, upload.Length - from)), next.PurgeAfter!.Value);
        }
        await WriteState(_ => next);
        _metrics.Started();
        await Begin(resumed: false);
        return Info();
    }

    public Task<Reply<JobInfo>> Get() => Task.FromResult(S.Exists ? Info() : (Reply<JobInfo>)NotFound);

    public async Task<Reply<JobInfo>> Cancel()
    {
        if (!S.Exists) return NotFound;
        if (!S.IsFinished) await Finish(JobStatus.Cancelled, "Cancelled by the session.");
        return Info();
    }

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (!S.Exists)
        {
            await Unremind();
            return;
        }
        // A running job is already running again: activating it for this tick resumed it (OnActivateAsync).
        if (!S.IsFinished) return;
        if (_clock.GetUtcNow() >= S.FinishedAt!.Value + _rules.Retention) await Discard();
        else if (status.Period != _rules.Retention) await RemindAtRetention();
    }

    private Reply<JobInfo> Info() => new JobInfo(
        JobId, S.Kind, S.Status == JobStatus.Queued && _runner is not null ? JobStatus.Running : S.Status, Progress, S.Checkpoints, S.Committed, S.OutputLength, S.ContentType,
        GrainContext.Address.SiloAddress?.ToParsableString(), S.CreatedAt, S.CheckpointedAt, S.FinishedAt, S.Error, S.Resumes,
        $"\"{JobId}.{S.CreatedAt.UtcTicks:x}\"", S.ResumedFromBytes);

    /// <summary>Steps done (live, including steps not yet checkpointed) over all steps; 1 once succeeded.</summary>
    private double Progress => S.Status == JobStatus.Succeeded ? 1 : S.Steps == 0 ? 0 : Math.Round((double)Math.Max(_nextStep, S.StepsDone) / S.Steps, 4);

    /// <summary>Stores <paramref name="change"/> of the state; on failure the previous state stays in force. One write at a time.</summary>
    private async Task WriteState(Func<JobState, JobState> change)
    {
        await _writing.WaitAsync();
        var previous = _state.State;
        try
        {
            _state.State = change(previous!);
            await _store.WriteState(_state);
        }
        catch (InconsistentStateException)
        {
            // Another activation wrote this job (a stale activation after a failover): let the newer one run it.
            _state.State = previous;
            StopRunner();
            DeactivateOnIdle();
            throw;
        }
        catch
        {
            _state.State = previous;
            throw;
        }
        finally
        {
            _writing.Release();
        }
    }

    private readonly SemaphoreSlim _writing = new(1, 1);

    private async Task RemindAtRetention()
    {
        try
        {
            await this.RegisterOrUpdateReminder(ReminderName, _rules.Retention, _rules.Retention);
        }
        catch (Exception ex)
        {
            // The running-job reminder keeps ticking; its next tick tries again.
            LogReminderFailed(ex, this.GetPrimaryKeyString());
        }
    }

    private async Task Unremind()
    {
        if (await this.GetReminder(ReminderName) is { } reminder) await this.UnregisterReminder(reminder);
    }

    private static JsonDocument Parse(string json) => JsonDocument.Parse(json);

    [LoggerMessage(EventId = 1301, Level = LogLevel.Warning, Message = "Job {Job}: storage failed (checkpoint or upload read); will retry")]
    private partial void LogCheckpointFailed(Exception ex, string job);

    [LoggerMessage(EventId = 1302, Level = LogLevel.Warning, Message = "Job {Job}: could not update its reminder; will retry")]
    private partial void LogReminderFailed(Exception ex, string job);

    [LoggerMessage(EventId = 1303, Level = LogLevel.Information, Message = "Job {Job} {Status} after {Checkpoints} checkpoints, {Resumes} resumes")]
    private partial void LogFinished(string job, JobStatus status, int checkpoints, int resumes);

    [LoggerMessage(EventId = 1304, Level = LogLevel.Information, Message = "Job {Job} resumed from checkpoint {Checkpoints} at step {Step} ({Bytes} bytes committed)")]
    private partial void LogResumed(string job, int checkpoints, int step, long bytes);

    [LoggerMessage(EventId = 1305, Level = LogLevel.Warning, Message = "Job {Job}: could not publish {Kind} to its session")]
    private partial void LogPublishFailed(Exception ex, string job, SessionEventKind kind);
}
