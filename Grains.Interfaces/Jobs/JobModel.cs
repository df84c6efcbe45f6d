namespace SessionGrains.Interfaces;

[GenerateSerializer]
public enum JobStatus
{
    Queued = 0,
    Running = 1,
    Succeeded = 2,
    Failed = 3,
    Cancelled = 4,
}

/// <summary>What a job was asked to do: a kind, its input as JSON, and an optional uploaded file.</summary>
[GenerateSerializer, Immutable]
public sealed record JobStart(
    [property: Id(0)] string Kind,
    [property: Id(1)] string InputJson,
    [property: Id(2)] byte[]? Upload);

/// <summary>A job as it stands. <see cref="ResumedFromBytes"/>: committed output when it was last resumed.</summary>
[GenerateSerializer, Immutable]
public sealed record JobInfo(
    [property: Id(0)] string Id,
    [property: Id(1)] string Kind,
    [property: Id(2)] JobStatus Status,
    [property: Id(3)] double Progress,
    [property: Id(4)] int Checkpoints,
    [property: Id(5)] long OutputBytes,
    [property: Id(6)] long? OutputLength,
    [property: Id(7)] string ContentType,
    [property: Id(8)] string? Silo,
    [property: Id(9)] DateTimeOffset CreatedAt,
    [property: Id(10)] DateTimeOffset? CheckpointedAt,
    [property: Id(11)] DateTimeOffset? FinishedAt,
    [property: Id(12)] string? Error,
    /// <summary>Times a new activation resumed the job from a checkpoint (after a crash or shutdown of its silo).</summary>
    [property: Id(13)] int Resumes,
    [property: Id(14)] string ETag,
    [property: Id(15)] long? ResumedFromBytes = null)
{
    public bool IsFinished => Status is JobStatus.Succeeded or JobStatus.Failed or JobStatus.Cancelled;
}

[GenerateSerializer, Immutable]
public sealed record JobList([property: Id(0)] IReadOnlyList<JobInfo> Jobs);

/// <summary>
/// Committed output from <see cref="Offset"/>. <see cref="Info"/> says how far output reaches, its final length when
/// known, and whether more will come (the job is not finished).
/// </summary>
[GenerateSerializer, Immutable]
public sealed record OutputSlice(
    [property: Id(0)] long Offset,
    [property: Id(1)] byte[] Bytes,
    [property: Id(2)] JobInfo Info);
