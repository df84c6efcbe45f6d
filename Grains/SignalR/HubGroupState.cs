namespace SessionGrains.Grains.SignalR;

/// <summary>The persisted members (mailbox keys) of a group, a user or a hub's everyone-set, with when each joined.</summary>
[GenerateSerializer]
public sealed class HubGroupState
{
    [Id(0)] public Dictionary<string, DateTimeOffset> Members { get; set; } = new(StringComparer.Ordinal);
}
