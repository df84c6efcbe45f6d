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

namespace SessionGrains.Tests.Storage;

/// <summary>The SQLite grain storage on its own, each test on a fresh file.</summary>
public sealed class SqliteGrainStorageTests : IAsyncLifetime
{
    private const string StateName = "session";

    private static readonly IGrainStorageSerializer Serializer = CreateSerializer();

    private readonly string _folder = RepositoryPaths.NewTempFolder("storage");
    private readonly List<SqliteGrainStorage> _opened = [];

    private string FilePath => Path.Combine(_folder, "sessions.db");

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var storage in _opened) await storage.DisposeAsync();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task A_written_state_is_read_back_by_a_new_instance_on_the_same_file()
    {
        var id = GrainIdOf("durable");
        var writer = await Open();
        var written = new GrainState<SessionState>(StateOf(version: 3, ("a", "1"), ("b", """{"c":[true]}""")));
        await writer.WriteStateAsync(StateName, id, written);
        await writer.DisposeAsync();

        var read = new GrainState<SessionState>();
        await (await Open()).ReadStateAsync(StateName, id, read);

        Assert.True(read.RecordExists);
        Assert.Equal(written.ETag, read.ETag);
        Assert.Equal(3, read.State!.Version);
        Assert.Equal("1", read.State!.Data["a"]);
        Assert.Equal("""{"c":[true]}""", read.State!.Data["b"]);
    }

    [Fact]
    public async Task Reading_an_id_never_written_finds_no_record()
    {
        var storage = await Open();
        var state = new GrainState<SessionState>();

        await storage.ReadStateAsync(StateName, GrainIdOf("nobody"), state);

        Assert.False(state.RecordExists);
        Assert.Null(state.ETag);
    }

    [Fact]
    public async Task Every_write_gives_the_record_a_new_ETag()
    {
        var storage = await Open();
        var id = GrainIdOf("etags");
        var state = new GrainState<SessionState>(StateOf(version: 1));

        await storage.WriteStateAsync(StateName, id, state);
        var first = state.ETag;
        await storage.WriteStateAsync(StateName, id, state);

        Assert.NotNull(first);
        Assert.NotEqual(first, state.ETag);
        Assert.True(state.RecordExists);
    }

    [Fact]
    public async Task A_write_with_a_stale_ETag_throws_InconsistentStateException_and_keeps_the_stored_state()
    {
        var storage = await Open();
        var id = GrainIdOf("stale-write");
        var current = new GrainState<SessionState>(StateOf(version: 1));
        await storage.WriteStateAsync(StateName, id, current);
        var stale = new GrainState<SessionState>(StateOf(version: 99)) { ETag = current.ETag };
        current.State = StateOf(version: 2);
        await storage.WriteStateAsync(StateName, id, current);

        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync(StateName, id, stale));

        var stored = await Read(storage, id);
        Assert.Equal(2, stored.State!.Version);
        Assert.Equal(current.ETag, stored.ETag);
    }

    [Fact]
    public async Task Inserting_when_a_record_already_exists_throws_InconsistentStateException_and_keeps_the_stored_state()
    {
        var storage = await Open();
        var id = GrainIdOf("double-insert");
        await storage.WriteStateAsync(StateName, id, new GrainState<SessionState>(StateOf(version: 1)));
        var second = new GrainState<SessionState>(StateOf(version: 2));

        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync(StateName, id, second));

        Assert.Equal(1, (await Read(storage, id)).State!.Version);
    }

    [Fact]
    public async Task A_failed_write_leaves_the_callers_ETag_as_it_was()
    {
        var storage = await Open();
        var id = GrainIdOf("etag-kept");
        await storage.WriteStateAsync(StateName, id, new GrainState<SessionState>(StateOf(version: 1)));
        var stale = new GrainState<SessionState>(StateOf(version: 2)) { ETag = "not-the-stored-etag" };

        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync(StateName, id, stale));

        Assert.Equal("not-the-stored-etag", stale.ETag);
    }

    [Fact]
    public async Task Clearing_with_a_stale_ETag_throws_InconsistentStateException_and_keeps_the_record()
    {
        var storage = await Open();
        var id = GrainIdOf("stale-clear");
        var current = new GrainState<SessionState>(StateOf(version: 1));
        await storage.WriteStateAsync(StateName, id, current);
        var stale = new GrainState<SessionState>(StateOf(version: 1)) { ETag = current.ETag };
        await storage.WriteStateAsync(StateName, id, current);

        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.ClearStateAsync(StateName, id, stale));

        Assert.True((await Read(storage, id)).RecordExists);
    }

    [Fact]
    public async Task A_cleared_record_is_not_found_afterwards()
    {
        var storage = await Open();
        var id = GrainIdOf("cleared");
        var state = new GrainState<SessionState>(StateOf(version: 1));
        await storage.WriteStateAsync(StateName, id, state);

        await storage.ClearStateAsync(StateName, id, state);

        Assert.False(state.RecordExists);
        Assert.Null(state.ETag);
        Assert.False((await Read(await Open(), id)).RecordExists);
    }

    [Fact]
    public async Task A_record_can_be_written_anew_after_it_was_cleared()
    {
        var storage = await Open();
        var id = GrainIdOf("rewritten");
        var state = new GrainState<SessionState>(StateOf(version: 1));
        await storage.WriteStateAsync(StateName, id, state);
        await storage.ClearStateAsync(StateName, id, state);

        state.State = StateOf(version: 5);
        await storage.WriteStateAsync(StateName, id, state);

        Assert.Equal(5, (await Read(storage, id)).State!.Version);
    }

    [Fact]
    public async Task States_of_different_names_of_one_grain_are_kept_apart()
    {
        var storage = await Open();
        var id = GrainIdOf("two-states");

        await storage.WriteStateAsync("first", id, new GrainState<SessionState>(StateOf(version: 1)));
        await storage.WriteStateAsync("second", id, new GrainState<SessionState>(StateOf(version: 2)));

        var first = new GrainState<SessionState>();
        await storage.ReadStateAsync("first", id, first);
        Assert.Equal(1, first.State!.Version);
    }

    [Fact]
    public async Task Concurrent_writes_to_many_grains_all_land()
    {
        var storage = await Open(new SqliteStorageOptions { FilePath = FilePath, MaxBatch = 16 });
        var ids = Enumerable.Range(0, 300).Select(i => GrainIdOf($"many-{i}")).ToList();

        await Task.WhenAll(ids.Select((id, i) => storage.WriteStateAsync(StateName, id, new GrainState<SessionState>(StateOf(version: i + 1)))));

        var reopened = await Open();
        for (var i = 0; i < ids.Count; i++)
        {
            var stored = await Read(reopened, ids[i]);
            Assert.True(stored.RecordExists, $"grain {i} was not stored");
            Assert.Equal(i + 1, stored.State!.Version);
        }
    }

    [Fact]
    public async Task A_batch_that_fails_fails_every_write_in_it_stores_none_of_them_and_the_writer_carries_on()
    {
        var storage = await Open(new SqliteStorageOptions { FilePath = FilePath, MaxBatch = 8 });
        await storage.WriteStateAsync(StateName, GrainIdOf("before"), new GrainState<SessionState>(StateOf(version: 1)));
        // A fault injected from outside the writer: any batch holding a write of grain "poison" is rolled back whole.
        await using (var outside = new SqliteConnection($"Data Source={FilePath}"))
        {
            await outside.OpenAsync();
            await using var trigger = outside.CreateCommand();
            trigger.CommandText = """
                CREATE TRIGGER poison BEFORE INSERT ON grain_state WHEN NEW.grain_id LIKE '%poison%'
                BEGIN SELECT RAISE(ABORT, 'injected fault'); END;
                """;
            await trigger.ExecuteNonQueryAsync();
        }

        var ids = Enumerable.Range(0, 40).Select(i => GrainIdOf(i == 20 ? "poison" : $"batch-{i}")).ToList();
        var outcomes = await Task.WhenAll(ids.Select(async (id, i) =>
        {
            try
            {
                await storage.WriteStateAsync(StateName, id, new GrainState<SessionState>(StateOf(version: i + 1)));
                return (Exception?)null;
            }
            catch (Exception ex)
            {
                return ex;
            }
        }));

        Assert.IsType<SqliteException>(outcomes[20]);
        Assert.Contains(outcomes, o => o is null);
        for (var i = 0; i < ids.Count; i++)
            Assert.Equal(outcomes[i] is null, (await Read(storage, ids[i])).RecordExists);
        // The writer starts again on a fresh connection: later writes land, earlier ones are still there.
        await storage.WriteStateAsync(StateName, GrainIdOf("after"), new GrainState<SessionState>(StateOf(version: 7)));
        var reopened = await Open();
        Assert.Equal(7, (await Read(reopened, GrainIdOf("after"))).State!.Version);
        Assert.Equal(1, (await Read(reopened, GrainIdOf("before"))).State!.Version);
    }

    [Fact]
    public async Task Of_concurrent_writes_with_the_same_ETag_exactly_one_succeeds()
    {
        var storage = await Open();
        var id = GrainIdOf("race");
        var original = new GrainState<SessionState>(StateOf(version: 1));
        await storage.WriteStateAsync(StateName, id, original);
        var contenders = Enumerable.Range(2, 10).Select(v => new GrainState<SessionState>(StateOf(version: v)) { ETag = original.ETag }).ToList();

        var outcomes = await Task.WhenAll(contenders.Select(async contender =>
        {
            try
            {
                await storage.WriteStateAsync(StateName, id, contender);
                return true;
            }
            catch (InconsistentStateException)
            {
                return false;
            }
        }));

        var winner = Assert.Single(contenders.Where((_, i) => outcomes[i]));
        var stored = await Read(storage, id);
        Assert.Equal(winner.State!.Version, stored.State!.Version);
        Assert.Equal(winner.ETag, stored.ETag);
    }

    [Fact]
    public async Task Records_whose_purge_time_has_passed_are_purged_and_others_kept()
    {
        var storage = await Open(new SqliteStorageOptions { FilePath = FilePath, PurgeInterval = TimeSpan.FromMilliseconds(100) });
        var now = DateTimeOffset.UtcNow;
        var expired = GrainIdOf("expired");
        var live = GrainIdOf("live");
        var unbounded = GrainIdOf("unbounded");
        await storage.WriteStateAsync(StateName, expired, new GrainState<SessionState>(StateOf(version: 1, purgeAfter: now - TimeSpan.FromMinutes(1))));
        await storage.WriteStateAsync(StateName, live, new GrainState<SessionState>(StateOf(version: 1, purgeAfter: now + TimeSpan.FromHours(1))));
        await storage.WriteStateAsync(StateName, unbounded, new GrainState<SessionState>(StateOf(version: 1, purgeAfter: null)));

        var deadline = Stopwatch.StartNew();
        while ((await Read(storage, expired)).RecordExists && deadline.Elapsed < TimeSpan.FromSeconds(5)) await Task.Delay(50);

        Assert.False((await Read(storage, expired)).RecordExists);
        Assert.True((await Read(storage, live)).RecordExists);
        Assert.True((await Read(storage, unbounded)).RecordExists);
    }

    private async Task<SqliteGrainStorage> Open(SqliteStorageOptions? options = null)
    {
        var storage = new SqliteGrainStorage("test", options ?? new SqliteStorageOptions { FilePath = FilePath }, Serializer, TimeProvider.System,
            NullLogger<SqliteGrainStorage>.Instance);
        _opened.Add(storage);
        await storage.Open(CancellationToken.None);
        return storage;
    }

    private static async Task<GrainState<SessionState>> Read(SqliteGrainStorage storage, GrainId id)
    {
        var state = new GrainState<SessionState>();
        await storage.ReadStateAsync(StateName, id, state);
        return state;
    }

    private static GrainId GrainIdOf(string key) => GrainId.Create("session", key);

    private static SessionState StateOf(long version, params (string Key, string Json)[] data) => StateOf(version, null, data);

    private static SessionState StateOf(long version, DateTimeOffset? purgeAfter, params (string Key, string Json)[] data) => new()
    {
        Version = version,
        Data = data.ToDictionary(d => d.Key, d => d.Json, StringComparer.Ordinal),
        PurgeAfter = purgeAfter,
    };

    private static IGrainStorageSerializer CreateSerializer()
    {
        var services = new ServiceCollection()
            .AddSerializer(serializer => serializer.AddAssembly(typeof(SessionState).Assembly).AddAssembly(typeof(SessionInfo).Assembly))
            .BuildServiceProvider();
        return ActivatorUtilities.CreateInstance<OrleansGrainStorageSerializer>(services);
    }
}
