using Orleans.Storage;
using SessionGrains.Interfaces;
using SessionGrains.Tests.Infrastructure;
using Xunit;

namespace SessionGrains.Tests.Grains;

[Collection(GrainClusterCollection.Name)]
public sealed class PersistenceTests(GrainClusterFixture cluster)
{
    [Fact]
    public async Task A_created_session_is_in_storage_when_creation_is_acknowledged()
    {
        var session = await cluster.CreateSession();

        Assert.NotNull(await cluster.StoredRevision(session));
    }

    [Fact]
    public async Task Every_acknowledged_write_is_in_storage_when_it_returns()
    {
        var session = await cluster.CreateSession();
        var etags = new List<long?> { await cluster.StoredRevision(session) };

        await session.Put("a", "1", SessionWrite.Unconditional);
        etags.Add(await cluster.StoredRevision(session));
        await session.Increment("n", 1, SessionWrite.Unconditional);
        etags.Add(await cluster.StoredRevision(session));

        Assert.DoesNotContain(null, etags);
        Assert.Equal(etags.Count, etags.Distinct().Count());
    }

    [Fact]
    public async Task Reads_are_served_from_memory_without_writing_storage()
    {
        var session = await cluster.CreateSession(new Dictionary<string, string> { ["a"] = "1" });
        var stored = await cluster.StoredRevision(session);

        for (var i = 0; i < 50; i++)
        {
            Assert.Equal(SessionStatus.Ok, (await session.Get()).Status);
            Assert.Equal(SessionStatus.Ok, (await session.GetValue("a")).Status);
        }

        Assert.Equal(stored, await cluster.StoredRevision(session));
    }

    [Fact]
    public async Task A_refused_write_does_not_write_storage()
    {
        var session = await cluster.CreateSession(new Dictionary<string, string> { ["a"] = "1" });
        var stored = await cluster.StoredRevision(session);

        var refusals = new[]
        {
            (await session.Put("bad key", "1", SessionWrite.Unconditional)).Status,
            (await session.Put("a", "2", new SessionWrite(IfMatchVersion: 7, IdempotencyKey: null))).Status,
            (await session.Remove("missing", SessionWrite.Unconditional)).Status,
            (await session.Increment("a", long.MaxValue, SessionWrite.Unconditional)).Status,
        };

        Assert.All(refusals, status => Assert.NotEqual(SessionStatus.Ok, status));
        Assert.Equal(stored, await cluster.StoredRevision(session));
    }

    [Fact]
    public async Task A_deactivated_session_reactivates_with_the_same_data_and_version_from_storage()
    {
        var session = await cluster.CreateSession(new Dictionary<string, string> { ["a"] = "1" });
        await session.Patch("""{"b":{"c":[1,2]}}""", SessionWrite.Unconditional);
        var before = await session.Get();
        var placementBefore = (await session.GetPlacement()).Value!;

        await cluster.Cluster.DeactivateAsync(session);
        var after = await session.Get();

        Assert.True((await session.GetPlacement()).Value!.ActivatedAt > placementBefore.ActivatedAt, "the grain was not reactivated");
        Assert.Equal(before.Value?.Info.Version, after.Value?.Info.Version);
        Assert.Equal(before.Value?.Data!.OrderBy(p => p.Key), after.Value?.Data!.OrderBy(p => p.Key));
        Assert.Equal(before.Value?.Info!.CreatedAt, after.Value?.Info!.CreatedAt);
    }

    [Fact]
    public async Task A_deactivation_stores_the_last_read_so_the_sliding_window_survives_reactivation()
    {
        var session = await cluster.CreateSession(new Dictionary<string, string> { ["a"] = "1" });
        var read = await session.Get();
        var lastRead = read.Value?.Info!.LastAccessAt;
        Assert.True((await cluster.StoredState(session))!.LastAccessAt < lastRead, "a read wrote storage");

        await cluster.Cluster.DeactivateAsync(session);

        Assert.Equal(lastRead, (await cluster.StoredState(session))!.LastAccessAt);
    }

    [Fact]
    public async Task A_reactivated_session_continues_its_version_sequence()
    {
        var session = await cluster.CreateSession();
        await session.Put("a", "1", SessionWrite.Unconditional);

        await cluster.Cluster.DeactivateAsync(session);
        var next = await session.Put("a", "2", SessionWrite.Unconditional);

        Assert.Equal(SessionStatus.Ok, next.Status);
        Assert.Equal(3, next.Value?.Version);
    }

    [Fact]
    public async Task A_session_reactivated_by_collection_keeps_its_data()
    {
        var session = await cluster.CreateSession(new Dictionary<string, string> { ["a"] = "1" });
        var activatedAt = (await session.GetPlacement()).Value!.ActivatedAt;

        await cluster.Client.GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero);
        var reply = await session.Get();

        Assert.True((await session.GetPlacement()).Value!.ActivatedAt > activatedAt, "the grain was not collected");
        Assert.Equal("1", reply.Value?.Data!["a"]);
    }

    [Fact]
    public async Task A_write_that_lost_a_race_with_another_writer_fails_and_the_session_continues_from_the_stored_state()
    {
        var session = await cluster.CreateSession(new Dictionary<string, string> { ["a"] = "1" });
        await cluster.ReplaceStoredRevision(session);

        await Assert.ThrowsAsync<InconsistentStateException>(() => session.Put("a", "2", SessionWrite.Unconditional));
        var after = await session.Get();
        var next = await session.Put("a", "3", SessionWrite.Unconditional);

        Assert.Equal(1, after.Value?.Info.Version);
        Assert.Equal("1", after.Value?.Data!["a"]);
        Assert.Equal(SessionStatus.Ok, next.Status);
        Assert.Equal(2, next.Value?.Version);
    }

    [Fact]
    public async Task When_storage_goes_back_the_next_write_stores_every_acknowledged_change_again()
    {
        var session = await cluster.CreateSession(new Dictionary<string, string> { ["n"] = "0" });
        for (var i = 0; i < 3; i++) Assert.True((await session.Increment("n", 1, SessionWrite.Unconditional)).Succeeded);
        var earlier = await cluster.StoredRows(session);
        for (var i = 0; i < 4; i++) Assert.True((await session.Increment("n", 1, SessionWrite.Unconditional)).Succeeded);

        // Storage loses the last four acknowledged writes, as a promoted Redis replica that never received them would.
        await cluster.PutBackStoredRows(session, earlier);
        Assert.Equal("3", (await cluster.StoredState(session))!.Data["n"]);

        // The activation still holds them: its next write is refused for its revision, finds storage behind, and stores
        // the whole acknowledged session again, with this write's change.
        var next = await session.Increment("n", 1, SessionWrite.Unconditional);
        Assert.True(next.Succeeded, next.Failure?.Detail);
        Assert.Equal(8, next.Value!.Value);
        var stored = await cluster.StoredState(session);
        Assert.Equal("8", stored!.Data["n"]);
        Assert.Equal(9, stored.Version);
        Assert.Equal(Enumerable.Range(1, stored.Events.Count).Select(i => stored.NextSeq - stored.Events.Count - 1 + i), stored.Events.Select(e => e.Seq));

        // A new activation reads all of it back.
        await cluster.Client.GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero);
        var reread = await session.Get();
        Assert.Equal("8", reread.Value?.Data!["n"]);
        Assert.Equal(9, reread.Value?.Info.Version);
    }
}
