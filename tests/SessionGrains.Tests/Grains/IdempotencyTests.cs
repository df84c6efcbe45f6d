using SessionGrains.Interfaces;
using SessionGrains.Tests.Infrastructure;
using Xunit;

namespace SessionGrains.Tests.Grains;

[Collection(GrainClusterCollection.Name)]
public sealed class IdempotencyTests(GrainClusterFixture cluster)
{
    [Fact]
    public async Task A_retried_put_with_the_same_key_returns_the_first_reply_and_applies_once()
    {
        var session = await cluster.CreateSession();
        var write = new SessionWrite(null, "put-1");

        var first = await session.Put("a", "\"first\"", write);
        var retry = await session.Put("a", "\"first\"", write);

        Assert.Equal(first, retry);
        var read = await session.Get();
        Assert.Equal(2, read.Value?.Info.Version);
        Assert.Equal("\"first\"", read.Value?.Data!["a"]);
    }

    [Theory]
    [InlineData("put-other-body")]
    [InlineData("increment")]
    [InlineData("delete")]
    public async Task A_key_reused_for_another_request_is_refused_and_changes_nothing(string second)
    {
        var session = await cluster.CreateSession();
        var write = new SessionWrite(null, "shared-key");
        Assert.True((await session.Put("a", "1", write)).Succeeded);
        var before = await SessionSnapshot.Take(cluster, session);

        var status = second switch
        {
            "put-other-body" => (await session.Put("a", "2", write)).Status,
            "increment" => (await session.Increment("a", 1, write)).Status,
            _ => (await session.Delete(write)).Status,
        };

        Assert.Equal(SessionStatus.IdempotencyKeyReused, status);
        Assert.Equal(before, await SessionSnapshot.Take(cluster, session));
    }

    [Fact]
    public async Task A_retried_increment_with_the_same_key_returns_the_first_value_and_counts_once()
    {
        var session = await cluster.CreateSession();
        var write = new SessionWrite(null, "inc-1");

        var first = await session.Increment("n", 5, write);
        var retry = await session.Increment("n", 5, write);

        Assert.Equal(5, first.Value?.Value);
        Assert.Equal(first, retry);
        Assert.Equal("5", (await session.GetValue("n")).Value?.Json);
    }

    [Fact]
    public async Task A_retried_patch_with_the_same_key_applies_once()
    {
        var session = await cluster.CreateSession();
        var write = new SessionWrite(null, "patch-1");

        var first = await session.Patch("""{"a":1}""", write);
        var retry = await session.Patch("""{"a":1}""", write);

        Assert.Equal(first, retry);
        Assert.Equal(2, (await session.Get()).Value?.Info.Version);
    }

    [Fact]
    public async Task A_retried_delete_with_the_same_key_returns_the_first_success()
    {
        var session = await cluster.CreateSession();
        var write = new SessionWrite(null, "delete-1");

        var first = await session.Delete(write);
        var retry = await session.Delete(write);

        Assert.Equal(SessionStatus.Ok, first.Status);
        Assert.Equal(first, retry);
        Assert.Equal(SessionStatus.SessionNotFound, (await session.Delete(SessionWrite.Unconditional)).Status);
    }

    [Fact]
    public async Task A_retried_create_with_the_same_key_returns_the_first_reply()
    {
        var session = cluster.Session(GrainClusterFixture.NewSessionId());
        var creation = new SessionCreation(new Dictionary<string, string> { ["a"] = "1" }, null, null, "create-1");

        var first = await session.Create(creation);
        var retry = await session.Create(creation);

        Assert.Equal(SessionStatus.Ok, first.Status);
        Assert.Equal(first, retry);
        Assert.Equal(SessionStatus.AlreadyExists, (await session.Create(creation with { IdempotencyKey = null })).Status);
    }

    [Fact]
    public async Task Writes_under_different_keys_are_each_applied()
    {
        var session = await cluster.CreateSession();

        await session.Increment("n", 1, new SessionWrite(null, "one"));
        await session.Increment("n", 1, new SessionWrite(null, "two"));

        Assert.Equal("2", (await session.GetValue("n")).Value?.Json);
    }

    [Fact]
    public async Task A_retried_write_after_reactivation_still_returns_the_first_reply()
    {
        var session = await cluster.CreateSession();
        var write = new SessionWrite(null, "survives-failover");
        var first = await session.Increment("n", 1, write);

        await cluster.Cluster.DeactivateAsync(session);
        var retry = await session.Increment("n", 1, write);

        Assert.Equal(first, retry);
        Assert.Equal("1", (await session.GetValue("n")).Value?.Json);
    }

    [Fact]
    public async Task A_retry_returns_the_first_reply_even_when_the_session_changed_in_between()
    {
        var session = await cluster.CreateSession();
        var write = new SessionWrite(null, "first-wins");
        var first = await session.Put("a", "1", write);
        await session.Put("b", "2", SessionWrite.Unconditional);

        var retry = await session.Put("a", "1", write);

        Assert.Equal(first, retry);
        Assert.Equal(3, (await session.Get()).Value?.Info.Version);
    }

    [Fact]
    public async Task An_idempotency_key_longer_than_64_characters_answers_InvalidArgument_and_changes_nothing()
    {
        var session = await cluster.CreateSession();
        var before = await SessionSnapshot.Take(cluster, session);

        var reply = await session.Put("a", "1", new SessionWrite(null, new string('i', 65)));

        Assert.Equal(SessionStatus.InvalidArgument, reply.Status);
        Assert.Equal(before, await SessionSnapshot.Take(cluster, session));
    }

    [Fact]
    public async Task A_standalone_front_ends_local_key_replays_from_memory_and_is_never_stored()
    {
        var session = await cluster.CreateSession();
        var local = SessionKeys.LocalFrontEndKeyPrefix + "retry-1";

        var first = await session.Increment("n", 1, new SessionWrite(null, local));
        var retried = await session.Increment("n", 1, new SessionWrite(null, local));
        var keyed = await session.Increment("n", 1, new SessionWrite(null, "client-key"));

        Assert.Equal(1, first.Value!.Value);
        Assert.Equal(1, retried.Value!.Value);
        Assert.Equal(2, keyed.Value!.Value);
        var stored = (await cluster.StoredRows(session)).Select(r => r.Name).ToList();
        Assert.Contains("lclient-key", stored);
        Assert.DoesNotContain(stored, name => name.StartsWith("l" + SessionKeys.LocalFrontEndKeyPrefix, StringComparison.Ordinal));
        Assert.Equal(["client-key"], (await cluster.StoredState(session))!.Ledger.Select(e => e.Key));
    }
}
