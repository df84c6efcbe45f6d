namespace SessionGrains.Interfaces;

/// <summary>
/// One job of one session, keyed by <see cref="JobKeys.GrainKey"/> ("{sessionId}:{jobId}"), so a session token reaches
/// only its own session's jobs. The job runs on the silo that hosts it, checkpoints its progress and output to storage,
/// and resumes from its last checkpoint wherever it is activated next.
/// </summary>
public interface IJobGrain : IGrainWithStringKey
{
    /// <summary>Stores the job (queued) and starts it. A retry of the same start answers the job as it stands.</summary>
    Task<Reply<JobInfo>> Start(JobStart start);

    Task<Reply<JobInfo>> Get();

    /// <summary>Cancels a queued or running job; its committed output stays readable until retention ends.</summary>
    Task<Reply<JobInfo>> Cancel();

    /// <summary>Up to <paramref name="maxBytes"/> committed output bytes from <paramref name="offset"/>.</summary>
    Task<Reply<OutputSlice>> Read(long offset, int maxBytes);

    /// <summary>
    /// Waits up to <paramref name="wait"/> until committed output reaches past <paramref name="offset"/> or the job ends;
    /// answers how far it reaches. Interleaves: it only watches, so a waiting reader never holds up the job.
    /// </summary>
    [Orleans.Concurrency.AlwaysInterleave]
    Task<Reply<JobInfo>> WaitForOutput(long offset, TimeSpan wait);

    /// <summary>Stops the job and deletes its state, input and output (its session ended). Idempotent.</summary>
    Task Discard();
}

/// <summary>The jobs of one session (keyed by session id): the per-session limit and the list, ended with the session.</summary>
public interface ISessionJobsGrain : IGrainWithStringKey
{
    /// <summary>Checks the session, the limit and the input, then starts job <paramref name="jobId"/>.</summary>
    Task<Reply<JobInfo>> Start(string jobId, JobStart start);

    /// <summary>Every job the session still has, newest first.</summary>
    Task<Reply<JobList>> List();

    /// <summary>
    /// Discards every job of the session (it was deleted, rotated or expired). Interleaves, so a session that ends while
    /// a start waits for it never deadlocks with it (a job started that late finds its session gone and discards itself).
    /// </summary>
    [Orleans.Concurrency.AlwaysInterleave]
    Task EndAll();
}
