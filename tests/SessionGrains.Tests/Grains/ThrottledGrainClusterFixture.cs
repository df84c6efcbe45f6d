using SessionGrains.Interfaces;
using SessionGrains.Tests.Infrastructure;

namespace SessionGrains.Tests.Grains;

/// <summary>A grain cluster whose sessions may make only a handful of requests a second.</summary>
public sealed class ThrottledGrainClusterFixture : GrainClusterFixture
{
    public const int RequestsPerSecond = 5;

    protected override void ConfigureSessions(SessionRules sessions) => sessions.RequestsPerSecond = RequestsPerSecond;
}
