namespace SessionGrains.Grains.Storage;

/// <summary>Settings of the embedded SQLite grain storage used in standalone mode.</summary>
public sealed class SqliteStorageOptions
{
    /// <summary>Path of the database file.</summary>
    public string FilePath { get; set; } = Path.Combine("data", "sessions.db");

    /// <summary>How often records whose purge time has passed are deleted.</summary>
    public TimeSpan PurgeInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Most writes committed in one transaction.</summary>
    public int MaxBatch { get; set; } = 256;

    /// <summary>
    /// Most writes waiting for the writer. A write past this fails at once (the caller answers 503 with Retry-After)
    /// instead of queueing memory without bound while the disk falls behind.
    /// </summary>
    public int MaxQueuedWrites { get; set; } = 4096;
}
