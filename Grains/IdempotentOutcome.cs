using SessionGrains.Interfaces;

namespace SessionGrains.Grains;

/// <summary>The reply first given to a write carrying an idempotency key.</summary>
[GenerateSerializer, Immutable]
public sealed record IdempotentOutcome(
    [property: Id(0)] string Key,
    [property: Id(1)] SessionReply Reply,
    [property: Id(2)] DateTimeOffset KeepUntil);
