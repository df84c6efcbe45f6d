using System.Diagnostics;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.Serialization;
using Orleans.Storage;
using SessionGrains.Grains;
using SessionGrains.Grains.Storage;
using SessionGrains.Interfaces;
using SessionGrains.Tests.Infrastructure;
using Xunit;

namespace SessionGrains.Tests.Security;

/// <summary>
/// Finding: the SQLite write queue had no bound, so a flood of writes while the disk was slow grew memory without end.
/// Now a full queue refuses the write at once with a storage failure the front end answers as 503 with Retry-After.
/// </summary>
public sealed class StorageQueueTests : IAsyncLifetime
{
    private const int QueueBound = 3;
    private readonly string _folder = RepositoryPaths.NewTempFolder("storage-queue");
    private SqliteGrainStorage? _storage;

    public async Task InitializeAsync()
    {
        var services = new ServiceCollection()
            .AddSerializer(serializer => serializer.AddAssembly(typeof(SessionState).Assembly).AddAssembly(typeof(SessionInfo).Assembly))
            .BuildServiceProvider();
        _storage = new SqliteGrainStorage("test", new SqliteStorageOptions { FilePath = Path.Combine(_folder, "sessions.db"), MaxQueuedWrites = QueueBound },
            ActivatorUtilities.CreateInstance<OrleansGrainStorageSerializer>(services), TimeProvider.System, NullLogger<SqliteGrainStorage>.Instance);
        await _storage.Open(CancellationToken.None);
    }

    [Fact]
    public async Task A_write_past_the_queue_bound_fails_at_once_and_the_queued_writes_still_complete()
    {
        // Another connection holds the write lock: the writer waits on it, and writes pile up behind.
        await using var blocker = new SqliteConnection($"Data Source={Path.Combine(_folder, "sessions.db")}");
        await blocker.OpenAsync();
        await using (var begin = blocker.CreateCommand())
        {
            begin.CommandText = "BEGIN EXCLUSIVE";
            await begin.ExecuteNonQueryAsync();
        }

        var pending = new List<Task>();
        Exception? refused = null;
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < QueueBound + 3 && refused is null; i++)
        {
            var write = _storage!.WriteStateAsync("session", GrainId.Create("sessiongrain", "queued-" + i), new GrainState<SessionState>(new SessionState { Version = 1 }));
            if (write.IsFaulted) refused = Assert.IsType<OrleansException>(write.Exception!.InnerException);
            else pending.Add(write);
            if (i == 0) await Task.Delay(300);   // the writer takes the first write and waits for the lock
        }
        Assert.NotNull(refused);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"refusing took {clock.Elapsed}");
        Assert.All(pending, write => Assert.False(write.IsCompleted));

        await using (var rollback = blocker.CreateCommand())
        {
            rollback.CommandText = "ROLLBACK";
            await rollback.ExecuteNonQueryAsync();
        }
        await Task.WhenAll(pending).WaitAsync(TimeSpan.FromSeconds(30));
    }

    public async Task DisposeAsync()
    {
        if (_storage is not null) await _storage.DisposeAsync();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }
}
