namespace SessionGrains.Grains;

/// <summary>The persisted index of one user's sessions: session id to creation time.</summary>
[GenerateSerializer]
public sealed class UserSessionsState
{
    [Id(0)] public Dictionary<string, DateTimeOffset> Sessions { get; set; } = new(StringComparer.Ordinal);
}
