namespace SessionGrains.Interfaces;

/// <summary>Conditions of a write: optimistic concurrency, retry identity and, optionally, the request lease it is made under.</summary>
[GenerateSerializer, Immutable]
public sealed record SessionWrite(
    [property: Id(0)] long? IfMatchVersion,
    [property: Id(1)] string? IdempotencyKey,
    [property: Id(2)] string? LeaseId = null)
{
    public static readonly SessionWrite Unconditional = new(null, null);
}
