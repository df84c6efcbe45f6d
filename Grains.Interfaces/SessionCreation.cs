namespace SessionGrains.Interfaces;

/// <summary>What a new session starts with. Data values are JSON text.</summary>
[GenerateSerializer, Immutable]
public sealed record SessionCreation(
    [property: Id(0)] IReadOnlyDictionary<string, string> Data,
    [property: Id(1)] TimeSpan? IdleTimeout,
    [property: Id(2)] string? UserId,
    [property: Id(3)] string? IdempotencyKey);
