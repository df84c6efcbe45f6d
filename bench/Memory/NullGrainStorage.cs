using Orleans.Storage;
using SessionGrains.Grains;
using SessionGrains.Grains.Storage;

namespace SessionGrains.Bench.Memory;

/// <summary>
/// Grain storage that accepts every write and keeps nothing (<c>--storage null</c>): what remains in memory is the
/// activation itself, without the cost of SQLite. Never for a real silo.
/// </summary>
public sealed class NullGrainStorage : IGrainStorage, ISessionStore, ILifecycleParticipant<ISiloLifecycle>
{
    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        grainState.RecordExists = false;
        return Task.CompletedTask;
    }

    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        grainState.ETag = "1";
        grainState.RecordExists = true;
        return Task.CompletedTask;
    }

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        grainState.ETag = null;
        grainState.RecordExists = false;
        return Task.CompletedTask;
    }

    // SiloConfiguration registers the SQLite storage as a lifecycle participant under the same name.
    public void Participate(ISiloLifecycle lifecycle)
    {
    }

    public Task<StoredSession> Read(GrainId session) => Task.FromResult(StoredSession.None);

    public Task Write(GrainId session, long revision, long written, SessionState stored, SessionState next) => Task.CompletedTask;

    public Task Clear(GrainId session, long revision) => Task.CompletedTask;
}
