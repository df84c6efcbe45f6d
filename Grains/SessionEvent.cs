namespace SessionGrains.Grains;

/// <summary>One entry of the session's event log.</summary>
[GenerateSerializer, Immutable]
public sealed record SessionEvent(
    [property: Id(0)] long Seq,
    [property: Id(1)] SessionEventKind Kind,
    [property: Id(2)] long Version,
    [property: Id(3)] IReadOnlyList<string> Keys,
    [property: Id(4)] string? MessageJson);

[GenerateSerializer]
public enum SessionEventKind
{
    Changed = 0,
    Message = 1,
    Expired = 2,
    Deleted = 3,
}
