using SessionGrains.Tests.Infrastructure;

namespace SessionGrains.Tests.Admin;

/// <summary>A front end that keeps at most two sessions per user.</summary>
public sealed class TwoSessionsPerUserFrontEnd : StandaloneFrontEnd
{
    protected override IReadOnlyDictionary<string, string> Settings { get; } = new Dictionary<string, string> { ["Sessions:MaxSessionsPerUser"] = "2" };
}
