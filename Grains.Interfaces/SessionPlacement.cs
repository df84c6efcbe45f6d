namespace SessionGrains.Interfaces;

/// <summary>Where a session grain is active now.</summary>
[GenerateSerializer, Immutable]
public sealed record SessionPlacement(
    [property: Id(0)] string Silo,
    [property: Id(1)] DateTimeOffset ActivatedAt);
