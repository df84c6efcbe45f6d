using SessionGrains.Grains.Storage;
using SessionGrains.Interfaces;

namespace SessionGrains.Grains.Jobs;

/// <summary>
/// The persisted state of one job. It is the commit record of the output: <see cref="Committed"/> bytes of output
/// chunks are valid, together with <see cref="StepsDone"/> and <see cref="KindState"/>; chunk bytes beyond it were
/// written by a checkpoint that never committed and are overwritten when the job resumes.
/// </summary>
[GenerateSerializer]
public sealed record JobState : IExpiringState
{
    [Id(0)] public string Kind { get; init; } = "";
    [Id(1)] public string InputJson { get; init; } = "{}";
    [Id(2)] public JobStatus Status { get; init; }
    [Id(3)] public int Steps { get; init; }
    [Id(4)] public int StepsDone { get; init; }
    [Id(5)] public byte[]? KindState { get; init; }
    [Id(6)] public long Committed { get; init; }
    [Id(7)] public int Checkpoints { get; init; }
    [Id(8)] public string ContentType { get; init; } = "application/octet-stream";
    [Id(9)] public long? OutputLength { get; init; }
    [Id(10)] public DateTimeOffset CreatedAt { get; init; }
    [Id(11)] public DateTimeOffset? CheckpointedAt { get; init; }
    [Id(12)] public DateTimeOffset? FinishedAt { get; init; }
    [Id(13)] public string? Error { get; init; }
    /// <summary>Times the job was resumed from a checkpoint by a new activation (after a crash or a shutdown).</summary>
    [Id(14)] public int Resumes { get; init; }
    [Id(15)] public long UploadBytes { get; init; }
    [Id(16)] public int UploadChunks { get; init; }
    [Id(17)] public DateTimeOffset? PurgeAfter { get; init; }
    /// <summary>The job.completed/failed/cancelled event is in the session's log.</summary>
    [Id(18)] public bool FinalEventSent { get; init; }
    [Id(19)] public int ChunkBytes { get; init; }
    /// <summary>Committed output when the job was last resumed.</summary>
    [Id(20)] public long? ResumedFromBytes { get; init; }

    public bool Exists => CreatedAt != default;

    public bool IsFinished => Status is JobStatus.Succeeded or JobStatus.Failed or JobStatus.Cancelled;
}

/// <summary>One stored chunk of a job's output or upload.</summary>
[GenerateSerializer]
public sealed record JobChunk : IExpiringState
{
    [Id(0)] public byte[] Bytes { get; init; } = [];
    [Id(1)] public DateTimeOffset? PurgeAfter { get; init; }
}
