using SessionGrains.Interfaces;

namespace SessionGrains.Grains;

/// <summary>What is left of a deleted or rotated session: enough to answer a retried delete or rotate.</summary>
[GenerateSerializer, Immutable]
public sealed record SessionTombstone(
    [property: Id(0)] string? RotatedTo,
    [property: Id(1)] DateTimeOffset KeepUntil);
