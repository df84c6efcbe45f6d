using SessionGrains.Interfaces;
using SessionGrains.Tests.Infrastructure;
using Xunit;

namespace SessionGrains.Tests.Grains;

[Collection(GrainClusterCollection.Name)]
public sealed class VersionTests(GrainClusterFixture cluster)
{
    public static TheoryData<string> Writes => ["put", "remove", "patch", "increment", "delete", "rotate"];

    [Fact]
    public async Task Every_change_increases_the_version_by_exactly_one()
    {
        var session = await cluster.CreateSession();
        var write = SessionWrite.Unconditional;

        var versions = new List<long?>
        {
            (await session.Put("a", "1", write)).Value?.Version,
            (await session.Patch("""{"b":2,"c":3}""", write)).Value?.Version,
            (await session.Increment("n", 1, write)).Value?.Version,
            (await session.Remove("a", write)).Value?.Version,
        };

        Assert.Equal([2, 3, 4, 5], versions);
        Assert.Equal(5, (await session.Get()).Value?.Info.Version);
    }

    [Fact]
    public async Task Reading_does_not_change_the_version()
    {
        var session = await cluster.CreateSession(new Dictionary<string, string> { ["a"] = "1" });

        await session.Get();
        await session.GetValue("a");
        await session.GetPlacement();

        Assert.Equal(1, (await session.Get()).Value?.Info.Version);
    }

    [Theory]
    [MemberData(nameof(Writes))]
    public async Task A_write_with_a_stale_version_answers_VersionMismatch_and_changes_nothing(string operation)
    {
        var session = await cluster.CreateSession(new Dictionary<string, string> { ["a"] = "1" });
        await session.Put("b", "2", SessionWrite.Unconditional);
        var before = await SessionSnapshot.Take(cluster, session);

        var status = await Apply(session, operation, new SessionWrite(IfMatchVersion: 1, IdempotencyKey: null));

        Assert.Equal(SessionStatus.VersionMismatch, status);
        Assert.Equal(before, await SessionSnapshot.Take(cluster, session));
    }

    [Theory]
    [MemberData(nameof(Writes))]
    public async Task A_write_with_the_current_version_is_applied(string operation)
    {
        var session = await cluster.CreateSession(new Dictionary<string, string> { ["a"] = "1" });

        var status = await Apply(session, operation, new SessionWrite(IfMatchVersion: 1, IdempotencyKey: null));

        Assert.Equal(SessionStatus.Ok, status);
    }

    /// <summary>The status the operation answers.</summary>
    private static async Task<SessionStatus> Apply(ISessionGrain session, string operation, SessionWrite write) => operation switch
    {
        "put" => (await session.Put("a", "10", write)).Status,
        "remove" => (await session.Remove("a", write)).Status,
        "patch" => (await session.Patch("""{"a":null,"c":3}""", write)).Status,
        "increment" => (await session.Increment("a", 1, write)).Status,
        "delete" => (await session.Delete(write)).Status,
        "rotate" => (await session.Rotate(GrainClusterFixture.NewSessionId(), write)).Status,
        _ => throw new ArgumentOutOfRangeException(nameof(operation)),
    };
}
