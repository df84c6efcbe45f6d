using SessionGrains.Interfaces;

namespace SessionGrains.Client.Jobs;

/// <summary>A job as the API shows it (API.md, "Session jobs").</summary>
public sealed record JobResponse(
    string Id, string Kind, string Status, double Progress, int Checkpoints, long OutputBytes, long? OutputLength, string ContentType,
    JobPlacementResponse Placement, DateTimeOffset CreatedAt, DateTimeOffset? CheckpointedAt, DateTimeOffset? FinishedAt, string? Error,
    int Resumes, long? ResumedFromBytes, string Output)
{
    public static JobResponse From(JobInfo job) => new(
        job.Id, job.Kind, JobJson.StatusName(job.Status), job.Progress, job.Checkpoints, job.OutputBytes, job.OutputLength, job.ContentType,
        new JobPlacementResponse(job.Silo), job.CreatedAt, job.CheckpointedAt, job.FinishedAt, job.Error, job.Resumes, job.ResumedFromBytes,
        $"/sessions/current/jobs/{job.Id}/output");
}

/// <summary>The silo running (or last holding) the job.</summary>
public sealed record JobPlacementResponse(string? Silo);

public sealed record JobListResponse(IReadOnlyList<JobResponse> Jobs);
