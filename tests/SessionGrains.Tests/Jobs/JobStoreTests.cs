using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.Serialization;
using Orleans.Storage;
using SessionGrains.Grains.Jobs;
using SessionGrains.Grains.Storage;
using SessionGrains.Interfaces;
using SessionGrains.Tests.Infrastructure;
using Xunit;

namespace SessionGrains.Tests.Jobs;

/// <summary>
/// The checkpoint protocol on real storage (SQLite): chunks first, then the state that commits them. A chunk left by an
/// uncommitted checkpoint is overwritten by the owner of the job, never by an activation another one has taken over from.
/// </summary>
public sealed class JobStoreTests : IAsyncLifetime
{
    private readonly string _folder = RepositoryPaths.NewTempFolder("jobstore");
    private SqliteGrainStorage _storage = null!;
    private static readonly GrainId Job = GrainId.Create("job", "AAAAAAAAAAAAAAAAAAAAAA:BBBBBBBBBBBBBBBB");

    public async Task InitializeAsync()
    {
        var services = new ServiceCollection()
            .AddSerializer(serializer => serializer.AddAssembly(typeof(JobState).Assembly).AddAssembly(typeof(JobInfo).Assembly))
            .BuildServiceProvider();
        var serializer = ActivatorUtilities.CreateInstance<OrleansGrainStorageSerializer>(services);
        _storage = new SqliteGrainStorage("test", new SqliteStorageOptions { FilePath = Path.Combine(_folder, "jobs.db") }, serializer, TimeProvider.System,
            NullLogger<SqliteGrainStorage>.Instance);
        await _storage.Open(CancellationToken.None);
    }

    [Fact]
    public async Task A_leftover_chunk_is_overwritten_by_the_owner_and_refused_to_an_activation_that_was_taken_over()
    {
        var purge = DateTimeOffset.UtcNow.AddHours(1);
        // Activation A commits 1 byte, then writes chunk 0 longer and dies before its state write.
        var a = Store(out var stateA);
        stateA.State = new JobState { CreatedAt = DateTimeOffset.UtcNow, Committed = 1, ChunkBytes = 1024 };
        await a.WriteChunk(JobStore.OutputChunk(0), new byte[] { 1 }, purge);
        await a.WriteState(stateA);
        await a.WriteChunk(JobStore.OutputChunk(0), new byte[] { 1, 2, 3 }, purge);
        await a.WriteChunk(JobStore.OutputChunk(1), new byte[] { 9 }, purge);

        // Activation B resumes from the committed state: it may overwrite A's uncommitted chunks.
        var b = Store(out var stateB);
        await b.ReadState(stateB);
        Assert.Equal(1, stateB.State!.Committed);
        Assert.Equal(new byte[] { 1, 2, 3 }, await b.ReadChunk(JobStore.OutputChunk(0)));
        await b.WriteChunk(JobStore.OutputChunk(1), new byte[] { 4 }, purge);
        stateB.State = stateB.State with { Committed = 1025 };
        await b.WriteState(stateB);

        // A, still running somewhere (a stale activation), is refused both the chunk and the state.
        await Assert.ThrowsAsync<InconsistentStateException>(() => a.WriteChunk(JobStore.OutputChunk(1), new byte[] { 7 }, purge));
        Assert.Equal(new byte[] { 4 }, await b.ReadChunk(JobStore.OutputChunk(1)));
        stateA.State = stateA.State with { Committed = 2 };
        await Assert.ThrowsAsync<InconsistentStateException>(() => a.WriteState(stateA));
    }

    private JobStore Store(out GrainState<JobState> state)
    {
        var store = new JobStore(_storage, Job);
        var own = new GrainState<JobState>(new JobState());
        store.Owns = () => store.StateStillHas(own.ETag);
        state = own;
        return store;
    }

    public async Task DisposeAsync()
    {
        await _storage.DisposeAsync();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
