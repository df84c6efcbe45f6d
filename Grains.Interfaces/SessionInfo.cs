namespace SessionGrains.Interfaces;

/// <summary>Session metadata as clients see it.</summary>
[GenerateSerializer, Immutable]
public sealed record SessionInfo(
    [property: Id(0)] string Id,
    [property: Id(1)] long Version,
    [property: Id(2)] DateTimeOffset CreatedAt,
    [property: Id(3)] DateTimeOffset LastAccessAt,
    [property: Id(4)] DateTimeOffset ExpiresAt,
    [property: Id(5)] string? UserId);
