namespace SessionGrains.Interfaces;

// The results of session operations, one shape per kind of answer. All are immutable: Orleans passes them without copies.

/// <summary>A whole session: metadata and data (key to JSON text).</summary>
[GenerateSerializer, Immutable]
public sealed record SessionView(
    [property: Id(0)] SessionInfo Info,
    [property: Id(1)] IReadOnlyDictionary<string, string> Data);

/// <summary>One value as JSON text, and the session version it belongs to.</summary>
[GenerateSerializer, Immutable]
public sealed record SessionValue(
    [property: Id(0)] long Version,
    [property: Id(1)] string Json);

/// <summary>The session version after a write.</summary>
[GenerateSerializer, Immutable]
public sealed record Written(
    [property: Id(0)] long Version);

/// <summary>A counter's value after an increment, and the session version.</summary>
[GenerateSerializer, Immutable]
public sealed record Counted(
    [property: Id(0)] long Value,
    [property: Id(1)] long Version);

/// <summary>The sequence number a published message got.</summary>
[GenerateSerializer, Immutable]
public sealed record Published(
    [property: Id(0)] long Seq);

/// <summary>A subscription in force, and the latest event's sequence number.</summary>
[GenerateSerializer, Immutable]
public sealed record Subscribed(
    [property: Id(0)] long LatestSeq);

/// <summary>Events from the log after a sequence number; <see cref="Gap"/> when the log no longer reaches back.</summary>
[GenerateSerializer, Immutable]
public sealed record EventPage(
    [property: Id(0)] long LatestSeq,
    [property: Id(1)] IReadOnlyList<SessionEvent> Events,
    [property: Id(2)] bool Gap);

/// <summary>A whole session and where it lives, for trusted callers.</summary>
[GenerateSerializer, Immutable]
public sealed record SessionInspection(
    [property: Id(0)] SessionView Session,
    [property: Id(1)] SessionPlacement Placement);
