namespace SessionGrains.Interfaces;

/// <summary>Limits and timings of session jobs, bound from the <c>Jobs</c> configuration section.</summary>
public sealed class JobRules
{
    public const string Section = "Jobs";

    /// <summary>Jobs one session may hold at once, running or finished (a finished job counts until its retention ends).</summary>
    public int MaxJobsPerSession { get; set; } = 4;

    /// <summary>Largest output of one job, in bytes; a plan over it is refused, a job that outgrows it fails.</summary>
    public long MaxOutputBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>Largest uploaded file (<c>process</c> and other kinds that take one), in bytes.</summary>
    public int MaxUploadBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>How long a finished job and its output are kept.</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>A job still running after this long fails (and its storage is bounded by it).</summary>
    public TimeSpan MaxRunTime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Longest time between checkpoints of a running job (progress and output made durable).</summary>
    public TimeSpan CheckpointInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// A <c>job.progress</c> event is sent at a checkpoint when progress moved by this much (0 to 1) since the last one, or
    /// <see cref="ProgressEventInterval"/> passed: the events share the session's bounded event log with other events.
    /// </summary>
    public double ProgressEventStep { get; set; } = 0.05;

    public TimeSpan ProgressEventInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Output and upload are stored in chunks of this many bytes.</summary>
    public int ChunkBytes { get; set; } = 64 * 1024;

    /// <summary>
    /// Period of the reminder that brings a running job back after its silo died without a reader asking for it
    /// (an Orleans reminder: the cluster's reminder service delivers it from whichever silo owns it).
    /// </summary>
    public TimeSpan ReminderPeriod { get; set; } = TimeSpan.FromSeconds(10);
}
