using SessionGrains.Interfaces;
using SessionGrains.Tests.Infrastructure;
using Xunit;

namespace SessionGrains.Tests.Grains;

[Collection(GrainClusterCollection.Name)]
public sealed class DeletionTests(GrainClusterFixture cluster)
{
    [Fact]
    public async Task A_deleted_session_answers_SessionNotFound()
    {
        var session = await cluster.CreateSession(new Dictionary<string, string> { ["a"] = "1" });

        var deleted = await session.Delete(SessionWrite.Unconditional);

        Assert.Equal(SessionStatus.Ok, deleted.Status);
        Assert.Equal(SessionStatus.SessionNotFound, (await session.Get()).Status);
        Assert.Equal(SessionStatus.SessionNotFound, (await session.GetValue("a")).Status);
    }

    [Fact]
    public async Task A_deleted_session_refuses_every_write()
    {
        var session = await cluster.CreateSession(new Dictionary<string, string> { ["a"] = "1" });
        await session.Delete(SessionWrite.Unconditional);
        var write = SessionWrite.Unconditional;

        var replies = new[]
        {
            (await session.Put("a", "2", write)).Status,
            (await session.Remove("a", write)).Status,
            (await session.Patch("""{"a":2}""", write)).Status,
            (await session.Increment("n", 1, write)).Status,
            (await session.Rotate(GrainClusterFixture.NewSessionId(), write)).Status,
            (await session.Delete(write)).Status,
        };

        Assert.All(replies, reply => Assert.Equal(SessionStatus.SessionNotFound, reply));
    }

    [Fact]
    public async Task A_deleted_session_stays_deleted_after_reactivation()
    {
        var session = await cluster.CreateSession(new Dictionary<string, string> { ["a"] = "1" });
        await session.Delete(SessionWrite.Unconditional);

        await cluster.Cluster.DeactivateAsync(session);

        Assert.Equal(SessionStatus.SessionNotFound, (await session.Get()).Status);
    }
}
