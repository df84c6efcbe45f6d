namespace SessionGrains.Interfaces;

/// <summary>One entry of the session's event log; <see cref="Seq"/> increases by one per event, session-wide.</summary>
[GenerateSerializer, Immutable]
public sealed record SessionEvent(
    [property: Id(0)] long Seq,
    [property: Id(1)] SessionEventKind Kind,
    [property: Id(2)] long Version,
    [property: Id(3)] string[] Keys,
    [property: Id(4)] string? MessageJson);
