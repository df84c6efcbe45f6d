using SessionGrains.Interfaces;
using SessionGrains.Tests.Infrastructure;
using Xunit;

namespace SessionGrains.Tests.Grains;

[Collection(GrainClusterCollection.Name)]
public sealed class RotationTests(GrainClusterFixture cluster)
{
    [Fact]
    public async Task A_rotated_session_keeps_its_data_version_and_owner_under_the_new_id()
    {
        var oldId = GrainClusterFixture.NewSessionId();
        var old = cluster.Session(oldId);
        await old.Create(new SessionCreation(new Dictionary<string, string> { ["cart"] = "[\"book\"]" }, TimeSpan.FromMinutes(5), "user-1", null));
        await old.Increment("n", 3, SessionWrite.Unconditional);
        var newId = GrainClusterFixture.NewSessionId();

        var rotated = await old.Rotate(newId, SessionWrite.Unconditional);

        Assert.Equal(SessionStatus.Ok, rotated.Status);
        Assert.Equal(newId, rotated.Value!.Id);
        var moved = await cluster.Session(newId).Get();
        Assert.Equal(SessionStatus.Ok, moved.Status);
        Assert.Equal(2, moved.Value?.Info.Version);
        Assert.Equal("user-1", moved.Value?.Info!.UserId);
        Assert.Equal("[\"book\"]", moved.Value?.Data!["cart"]);
        Assert.Equal("3", moved.Value?.Data["n"]);
    }

    [Fact]
    public async Task After_rotation_the_old_id_answers_SessionNotFound()
    {
        var old = await cluster.CreateSession(new Dictionary<string, string> { ["a"] = "1" });

        await old.Rotate(GrainClusterFixture.NewSessionId(), SessionWrite.Unconditional);

        Assert.Equal(SessionStatus.SessionNotFound, (await old.Get()).Status);
        Assert.Equal(SessionStatus.SessionNotFound, (await old.Put("a", "2", SessionWrite.Unconditional)).Status);
    }

    [Fact]
    public async Task A_replayed_rotation_never_hands_out_the_new_id_and_creates_no_second_session()
    {
        var old = await cluster.CreateSession(new Dictionary<string, string> { ["a"] = "1" });
        var write = new SessionWrite(null, "rotate-1");
        var firstId = GrainClusterFixture.NewSessionId();
        var retryId = GrainClusterFixture.NewSessionId();

        var first = await old.Rotate(firstId, write);
        // Whoever replays the rotation with the old id (and a guessed key) must not learn the new id: that would undo
        // what rotation is for (session fixation). The old id is dead, so the replay is not found.
        var retry = await old.Rotate(retryId, write);

        Assert.Equal(firstId, first.Value?.Id);
        Assert.Equal(SessionStatus.SessionNotFound, retry.Status);
        Assert.Null(retry.Value);
        Assert.Equal(SessionStatus.Ok, (await cluster.Session(firstId).Get()).Status);
        Assert.Equal(SessionStatus.SessionNotFound, (await cluster.Session(retryId).Get()).Status);
    }

    [Fact]
    public async Task Rotating_onto_the_id_of_another_session_answers_AlreadyExists_and_both_stay_as_they_were()
    {
        var mine = await cluster.CreateSession(new Dictionary<string, string> { ["owner"] = "\"me\"" });
        var otherId = GrainClusterFixture.NewSessionId();
        var other = cluster.Session(otherId);
        await other.Create(new SessionCreation(new Dictionary<string, string> { ["owner"] = "\"them\"" }, null, null, null));
        var mineBefore = await SessionSnapshot.Take(cluster, mine);
        var otherBefore = await SessionSnapshot.Take(cluster, other);

        var reply = await mine.Rotate(otherId, SessionWrite.Unconditional);

        Assert.Equal(SessionStatus.AlreadyExists, reply.Status);
        Assert.Equal(mineBefore, await SessionSnapshot.Take(cluster, mine));
        Assert.Equal(otherBefore, await SessionSnapshot.Take(cluster, other));
    }

    [Theory]
    [InlineData("short")]
    [InlineData("not+base64url/chars!!!")]
    public async Task Rotating_to_a_malformed_id_answers_InvalidArgument_and_changes_nothing(string newId)
    {
        var session = await cluster.CreateSession(new Dictionary<string, string> { ["a"] = "1" });
        var before = await SessionSnapshot.Take(cluster, session);

        var reply = await session.Rotate(newId, SessionWrite.Unconditional);

        Assert.Equal(SessionStatus.InvalidArgument, reply.Status);
        Assert.Equal(before, await SessionSnapshot.Take(cluster, session));
    }

    [Fact]
    public async Task Rotating_to_its_own_id_answers_InvalidArgument()
    {
        var id = GrainClusterFixture.NewSessionId();
        var session = cluster.Session(id);
        await session.Create(new SessionCreation(new Dictionary<string, string>(), null, null, null));

        Assert.Equal(SessionStatus.InvalidArgument, (await session.Rotate(id, SessionWrite.Unconditional)).Status);
        Assert.Equal(SessionStatus.Ok, (await session.Get()).Status);
    }
}
