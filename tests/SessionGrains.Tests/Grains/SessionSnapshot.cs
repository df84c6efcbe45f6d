using System.Text.Json;
using SessionGrains.Interfaces;
using SessionGrains.Tests.Infrastructure;
using Xunit;

namespace SessionGrains.Tests.Grains;

/// <summary>
/// What a session holds (version and data, as the grain answers) and what storage holds (the record's revision),
/// so that a test can state "nothing changed" in one assertion.
/// </summary>
public sealed record SessionSnapshot(long Version, string DataJson, long? StoredRevision)
{
    public static async Task<SessionSnapshot> Take(GrainClusterFixture cluster, ISessionGrain session)
    {
        var reply = await session.Get();
        Assert.True(reply.Succeeded, reply.Failure?.Detail);
        var sorted = new SortedDictionary<string, string>(reply.Value.Data.ToDictionary(), StringComparer.Ordinal);
        return new SessionSnapshot(reply.Value.Info.Version, JsonSerializer.Serialize(sorted), await cluster.StoredRevision(session));
    }
}
