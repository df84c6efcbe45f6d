namespace SessionGrains.Interfaces;

/// <summary>The state a rotated session hands to its new id.</summary>
[GenerateSerializer, Immutable]
public sealed record SessionTransfer(
    [property: Id(0)] string FromId,
    [property: Id(1)] IReadOnlyDictionary<string, string> Data,
    [property: Id(2)] long Version,
    [property: Id(3)] DateTimeOffset CreatedAt,
    [property: Id(4)] TimeSpan IdleTimeout,
    [property: Id(5)] DateTimeOffset AbsoluteExpiry,
    [property: Id(6)] string? UserId,
    [property: Id(7)] long NextSeq);
