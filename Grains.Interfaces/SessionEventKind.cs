namespace SessionGrains.Interfaces;

/// <summary>What a session event says.</summary>
[GenerateSerializer]
public enum SessionEventKind
{
    Changed = 0,
    Message = 1,
    Expired = 2,
    Deleted = 3,
    // Session jobs (issue 12): the event's MessageJson is the job as JSON.
    JobProgress = 40,
    JobCompleted = 41,
    JobFailed = 42,
    JobCancelled = 43,
}
