using Orleans.Storage;

namespace SessionGrains.Grains.Jobs;

/// <summary>
/// A job's records in the cluster's grain storage (Redis in cluster mode, SQLite standalone), under the job grain's
/// id: the state ("job"), output chunks ("out-{n}") and upload chunks ("in-{n}"). Chunk records carry their own
/// ETags like any grain state; a chunk left by a checkpoint that never committed is found and overwritten.
/// </summary>
public sealed class JobStore(IGrainStorage storage, GrainId grainId)
{
    public const string StateName = "job";

    private readonly Dictionary<string, string?> _etags = new(StringComparer.Ordinal);

    /// <summary>Whether this activation still owns the job (see <see cref="WriteChunk"/>); unset: always.</summary>
    public Func<Task<bool>>? Owns { get; set; }

    /// <summary>Whether the stored state of the job still has <paramref name="etag"/>, the ETag this activation last read or wrote.</summary>
    public async Task<bool> StateStillHas(string? etag)
    {
        var stored = new GrainState<JobState>(new JobState());
        await storage.ReadStateAsync(StateName, grainId, stored);
        return stored.ETag == etag;
    }

    public static string OutputChunk(long index) => "out-" + index.ToString(System.Globalization.CultureInfo.InvariantCulture);

    public static string UploadChunk(long index) => "in-" + index.ToString(System.Globalization.CultureInfo.InvariantCulture);

    public Task ReadState(IGrainState<JobState> state) => storage.ReadStateAsync(StateName, grainId, state);

    public Task WriteState(IGrainState<JobState> state) => storage.WriteStateAsync(StateName, grainId, state);

    public Task ClearState(IGrainState<JobState> state) => state.RecordExists ? storage.ClearStateAsync(StateName, grainId, state) : Task.CompletedTask;

    /// <summary>The chunk's bytes, or null when there is no such record.</summary>
    public async Task<byte[]?> ReadChunk(string name)
    {
        var record = new GrainState<JobChunk>(new JobChunk());
        await storage.ReadStateAsync(name, grainId, record);
        _etags[name] = record.ETag;
        return record.RecordExists ? record.State?.Bytes ?? [] : null;
    }

    /// <summary>
    /// Writes a chunk whatever it held before (a chunk is only rewritten with the same committed prefix). A chunk this
    /// activation did not know of is overwritten only while <see cref="Owns"/> holds: the job's stored state is still the
    /// one this activation wrote, so the chunk is a leftover of an uncommitted checkpoint and not another activation's.
    /// </summary>
    public async Task WriteChunk(string name, ReadOnlyMemory<byte> bytes, DateTimeOffset purgeAfter)
    {
        var record = new GrainState<JobChunk>(new JobChunk { Bytes = bytes.ToArray(), PurgeAfter = purgeAfter }, _etags.GetValueOrDefault(name));
        try
        {
            await storage.WriteStateAsync(name, grainId, record);
        }
        catch (InconsistentStateException)
        {
            // Written by an earlier activation (an uncommitted checkpoint): learn its ETag and overwrite it, unless
            // another activation has taken the job over since (then this one must stop, and the caller deactivates).
            if (Owns is { } owns && !await owns()) throw;
            await ReadChunk(name);
            record.ETag = _etags.GetValueOrDefault(name);
            await storage.WriteStateAsync(name, grainId, record);
        }
        _etags[name] = record.ETag;
    }

    /// <summary>
    /// Empties a chunk that exists and lets storage purge it within a minute (Redis key expiry, SQLite purge); answers
    /// whether there was one with bytes. Overwriting rather than clearing behaves the same on every provider.
    /// </summary>
    public async Task<bool> Blank(string name, DateTimeOffset now)
    {
        var bytes = await ReadChunk(name);
        if (bytes is not { Length: > 0 }) return false;
        await WriteChunk(name, ReadOnlyMemory<byte>.Empty, now);
        return true;
    }
}
