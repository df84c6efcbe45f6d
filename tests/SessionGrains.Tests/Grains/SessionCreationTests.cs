using SessionGrains.Interfaces;
using SessionGrains.Tests.Infrastructure;
using Xunit;

namespace SessionGrains.Tests.Grains;

[Collection(GrainClusterCollection.Name)]
public sealed class SessionCreationTests(GrainClusterFixture cluster)
{
    [Fact]
    public async Task A_created_session_returns_its_data_at_version_1()
    {
        var id = GrainClusterFixture.NewSessionId();
        var session = cluster.Session(id);

        var created = await session.Create(new SessionCreation(new Dictionary<string, string> { ["theme"] = "\"dark\"", ["n"] = "1" }, null, "user-7", null));
        var read = await session.Get();

        Assert.Equal(SessionStatus.Ok, created.Status);
        Assert.Equal(1, created.Value?.Version);
        Assert.Equal(SessionStatus.Ok, read.Status);
        Assert.Equal(1, read.Value?.Info.Version);
        Assert.Equal(id, read.Value?.Info!.Id);
        Assert.Equal("user-7", read.Value?.Info.UserId);
        Assert.Equal("\"dark\"", read.Value?.Data!["theme"]);
        Assert.Equal("1", read.Value?.Data["n"]);
    }

    [Fact]
    public async Task A_session_expires_after_the_idle_timeout_it_was_created_with()
    {
        var session = cluster.Session(GrainClusterFixture.NewSessionId());

        var created = await session.Create(new SessionCreation(new Dictionary<string, string>(), TimeSpan.FromMinutes(5), null, null));

        var info = created.Value!;
        Assert.Equal(TimeSpan.FromMinutes(5), info.ExpiresAt - info.LastAccessAt);
    }

    [Fact]
    public async Task Creating_a_session_under_an_existing_id_answers_AlreadyExists_and_keeps_the_first()
    {
        var session = await cluster.CreateSession(new Dictionary<string, string> { ["a"] = "1" });

        var again = await session.Create(new SessionCreation(new Dictionary<string, string> { ["a"] = "2" }, null, null, null));

        Assert.Equal(SessionStatus.AlreadyExists, again.Status);
        var read = await session.Get();
        Assert.Equal(1, read.Value?.Info.Version);
        Assert.Equal("1", read.Value?.Data!["a"]);
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(7 * 24 * 3600 + 1)]
    public async Task An_idle_timeout_outside_1_second_to_7_days_answers_InvalidArgument_and_creates_nothing(double seconds)
    {
        var session = cluster.Session(GrainClusterFixture.NewSessionId());

        var reply = await session.Create(new SessionCreation(new Dictionary<string, string>(), TimeSpan.FromSeconds(seconds), null, null));

        Assert.Equal(SessionStatus.InvalidArgument, reply.Status);
        Assert.Equal(SessionStatus.SessionNotFound, (await session.Get()).Status);
        Assert.Null(await cluster.StoredRevision(session));
    }

    [Fact]
    public async Task A_creation_reaching_a_fresh_activation_of_a_stored_session_replays_or_answers_AlreadyExists_and_changes_nothing()
    {
        // A fresh activation writes a creation without reading first; storage refuses it, and the grain decides on what it reads.
        var id = GrainClusterFixture.NewSessionId();
        var session = cluster.Session(id);
        var creation = new SessionCreation(new Dictionary<string, string> { ["a"] = "1" }, null, null, "create-once");
        var first = await session.Create(creation);
        Assert.True(first.Succeeded, first.Failure?.Detail);
        Assert.Equal(SessionStatus.Ok, (await session.Put("a", "2", SessionWrite.Unconditional)).Status);
        var stored = await cluster.StoredRevision(session);

        await cluster.Cluster.DeactivateAsync(session);
        var replay = await session.Create(creation);
        await cluster.Cluster.DeactivateAsync(session);
        var other = await session.Create(new SessionCreation(new Dictionary<string, string> { ["a"] = "9" }, null, null, null));

        Assert.Equal(first.Value, replay.Value);
        Assert.Equal(SessionStatus.AlreadyExists, other.Status);
        Assert.Equal(stored, await cluster.StoredRevision(session));
        var read = await session.Get();
        Assert.Equal("2", read.Value!.Data["a"]);
        Assert.Equal(2, read.Value.Info.Version);
    }

    [Fact]
    public async Task An_id_that_was_never_created_answers_SessionNotFound()
    {
        var session = cluster.Session(GrainClusterFixture.NewSessionId());

        Assert.Equal(SessionStatus.SessionNotFound, (await session.Get()).Status);
        Assert.Equal(SessionStatus.SessionNotFound, (await session.Put("a", "1", SessionWrite.Unconditional)).Status);
    }

    [Fact]
    public async Task Reading_an_absent_key_answers_KeyNotFound()
    {
        var session = await cluster.CreateSession();

        Assert.Equal(SessionStatus.KeyNotFound, (await session.GetValue("missing")).Status);
    }
}
