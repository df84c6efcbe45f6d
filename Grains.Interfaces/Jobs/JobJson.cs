namespace SessionGrains.Interfaces;

/// <summary>Names of job values in JSON (API.md), shared by the job events and the HTTP answers.</summary>
public static class JobJson
{
    public static string StatusName(JobStatus status) => status switch
    {
        JobStatus.Queued => "queued",
        JobStatus.Running => "running",
        JobStatus.Succeeded => "succeeded",
        JobStatus.Failed => "failed",
        _ => "cancelled",
    };

    public static string EventType(SessionEventKind kind) => kind switch
    {
        SessionEventKind.JobProgress => "job.progress",
        SessionEventKind.JobCompleted => "job.completed",
        SessionEventKind.JobFailed => "job.failed",
        _ => "job.cancelled",
    };
}
