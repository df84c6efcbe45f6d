namespace SessionGrains.Grains;

/// <summary>
/// The answer first given to a write under an idempotency key, with the operation and a fingerprint of its request,
/// so that the key replays only the same request. <see cref="Reply"/> is the operation's <c>Reply&lt;T&gt;</c>.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record LedgerEntry(
    [property: Id(0)] string Key,
    [property: Id(1)] string Operation,
    [property: Id(2)] ulong Fingerprint,
    [property: Id(3)] object Reply,
    [property: Id(4)] DateTimeOffset KeepUntil);
