using Microsoft.Extensions.Logging;
using SessionGrains.Interfaces;

namespace SessionGrains.Grains;

// Session jobs (issue 12): a session that ever started a job is marked, and its end discards its jobs. Job events go
// into the session's event log like any other, so WebSockets get them with the same seq and resume rules.
public sealed partial class SessionGrain
{
    public async Task<Reply<SessionInfo>> OwnJobs()
    {
        await Gate();
        if (await Enter() is { } refused) return refused;
        if (!S.OwnsJobs) await Persist(S with { OwnsJobs = true });
        return Info(D, _lastAccess);
    }

    public async Task<Reply<Published>> PublishJobEvent(SessionEventKind kind, string json)
    {
        if (kind is < SessionEventKind.JobProgress or > SessionEventKind.JobCancelled)
            return new SessionFailure(SessionStatus.InvalidArgument, "Not a job event.");
        // A session past its expiry ends now (and discards its jobs); the job learns its session is gone.
        await Gate();
        if (await EnsureLive(_clock.GetUtcNow()) is { } gone) return gone;
        var seq = S.NextSeq;
        await Persist(EventLog.Append(S, kind, S.Version, [], json, _rules));
        return new Published(seq);
    }

    /// <summary>Discards the jobs of a session that ends; a failure is logged (each job also stops when its session is gone).</summary>
    private async Task EndJobs(SessionState ended)
    {
        if (!ended.OwnsJobs) return;
        try
        {
            await GrainFactory.GetGrain<ISessionJobsGrain>(Id).EndAll();
        }
        catch (Exception ex)
        {
            LogEndJobsFailed(ex, Id);
        }
    }

    [LoggerMessage(EventId = 1201, Level = LogLevel.Warning, Message = "Could not discard the jobs of ended session {SessionId}; each job stops when it finds its session gone")]
    private partial void LogEndJobsFailed(Exception ex, string sessionId);
}
