using SessionGrains.Tests.Infrastructure;

namespace SessionGrains.Tests.SignalR;

/// <summary>A standalone front end (co-hosted silo, SQLite) that keeps 3 messages per SignalR recipient.</summary>
public sealed class ShortRetentionFrontEnd : StandaloneFrontEnd
{
    protected override IReadOnlyDictionary<string, string> Settings { get; } = new Dictionary<string, string> { ["SignalR:MaxMessages"] = "3" };
}
