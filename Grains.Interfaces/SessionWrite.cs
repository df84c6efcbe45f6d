namespace SessionGrains.Interfaces;

/// <summary>Conditions of a write: optimistic concurrency and retry identity.</summary>
[GenerateSerializer, Immutable]
public sealed record SessionWrite(
    [property: Id(0)] long? IfMatchVersion,
    [property: Id(1)] string? IdempotencyKey)
{
    public static readonly SessionWrite Unconditional = new(null, null);
}
