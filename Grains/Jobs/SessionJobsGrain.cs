using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Storage;
using SessionGrains.Grains.Storage;
using SessionGrains.Interfaces;

namespace SessionGrains.Grains.Jobs;

/// <summary>The ids of a session's jobs, oldest first.</summary>
[GenerateSerializer]
public sealed record SessionJobsState
{
    [Id(0)] public List<string> JobIds { get; init; } = [];
}

/// <summary>
/// The jobs of one session (keyed by session id): checks a new job's input before anything is stored, holds the
/// per-session limit, lists the jobs, and discards them all when the session ends.
/// </summary>
public sealed class SessionJobsGrain(
    [FromKeyedServices(SessionStorage.Name)] IGrainStorage storage, JobKinds kinds, IOptions<JobRules> rules) : Grain, ISessionJobsGrain
{
    private const string StateName = "jobs";
    private readonly GrainState<SessionJobsState> _state = new(new SessionJobsState());
    private readonly JobRules _rules = rules.Value;

    private string SessionId => this.GetPrimaryKeyString();

    private List<string> JobIds => _state.State!.JobIds;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        await storage.ReadStateAsync(StateName, this.GetGrainId(), _state);
        _state.State ??= new SessionJobsState();
    }

    public async Task<Reply<JobInfo>> Start(string jobId, JobStart start)
    {
        if (!JobKeys.IsValidId(jobId)) return new SessionFailure(SessionStatus.InvalidArgument, "Not a valid job id.");
        if (JobIds.Contains(jobId))
        {
            // A retry of the same start (same id): answer the job as it stands.
            var existing = await Job(jobId).Get();
            if (existing.Status != SessionStatus.JobNotFound) return existing;
        }
        // Bad input is refused before anything is stored or started.
        if (kinds.Check(start, out _, out _) is { } refused) return refused;
        var owner = await GrainFactory.GetGrain<ISessionGrain>(SessionId).OwnJobs();
        if (!owner.Succeeded) return owner.As<JobInfo>();

        var live = await Live();
        if (live.Count >= _rules.MaxJobsPerSession)
        {
            await Keep(live.Select(j => j.Id));
            return new SessionFailure(SessionStatus.TooManyJobs,
                $"This session holds {live.Count} jobs, the most it may (Jobs:MaxJobsPerSession); delete one or wait until a finished one's retention ends.");
        }
        await Keep([.. live.Select(j => j.Id).Where(id => id != jobId), jobId]);
        var reply = await Job(jobId).Start(start);
        if (!reply.Succeeded) await Keep([.. JobIds.Where(id => id != jobId)]);
        return reply;
    }

    public async Task<Reply<JobList>> List()
    {
        var touched = await GrainFactory.GetGrain<ISessionGrain>(SessionId).Touch();
        if (!touched.Succeeded) return touched.As<JobList>();
        var live = await Live();
        if (live.Count != JobIds.Count) await Keep([.. live.Select(j => j.Id)]);
        return new JobList([.. live.OrderByDescending(j => j.CreatedAt)]);
    }

    public async Task EndAll()
    {
        var ids = JobIds.ToList();
        await Task.WhenAll(ids.Select(id => Job(id).Discard()));
        if (_state.RecordExists) await storage.ClearStateAsync(StateName, this.GetGrainId(), _state);
        _state.State = new SessionJobsState();
        DeactivateOnIdle();
    }

    /// <summary>The jobs that still exist (a job discarded after its retention answers not found).</summary>
    private async Task<List<JobInfo>> Live()
    {
        var replies = await Task.WhenAll(JobIds.Select(id => Job(id).Get()));
        return [.. replies.Where(r => r.Succeeded).Select(r => r.Value!)];
    }

    private async Task Keep(IEnumerable<string> ids)
    {
        var next = ids.ToList();
        if (next.SequenceEqual(JobIds)) return;
        var previous = _state.State;
        _state.State = new SessionJobsState { JobIds = next };
        try
        {
            await storage.WriteStateAsync(StateName, this.GetGrainId(), _state);
        }
        catch
        {
            _state.State = previous;
            throw;
        }
    }

    private IJobGrain Job(string jobId) => GrainFactory.GetGrain<IJobGrain>(JobKeys.GrainKey(SessionId, jobId));
}
