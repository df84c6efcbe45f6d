namespace SessionGrains.Interfaces;

/// <summary>
/// The answer of every session operation. Only the members that the operation produces are set;
/// write replies are kept (without <see cref="Data"/>) to answer retries under the same idempotency key.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record SessionReply
{
    [Id(0)] public SessionStatus Status { get; init; }

    /// <summary>Session version after the operation (the ETag).</summary>
    [Id(1)] public long Version { get; init; }

    /// <summary>Session metadata, for create, get and rotate.</summary>
    [Id(2)] public SessionInfo? Session { get; init; }

    /// <summary>All data as key to JSON text, for get.</summary>
    [Id(3)] public IReadOnlyDictionary<string, string>? Data { get; init; }

    /// <summary>One JSON value, for get-value.</summary>
    [Id(4)] public string? Json { get; init; }

    /// <summary>Counter value after an increment.</summary>
    [Id(5)] public long? Counter { get; init; }

    /// <summary>Seconds to wait before retrying, when rate limited.</summary>
    [Id(6)] public int RetryAfterSeconds { get; init; }

    /// <summary>Human-readable reason for a failure.</summary>
    [Id(7)] public string? Detail { get; init; }

    /// <summary>Silo address and activation time, for placement.</summary>
    [Id(8)] public SessionPlacement? Placement { get; init; }

    /// <summary>Latest event sequence number (subscribe) or the sequence number of a published message.</summary>
    [Id(9)] public long? Seq { get; init; }

    /// <summary>Events from the log, for get-events.</summary>
    [Id(10)] public IReadOnlyList<SessionEvent>? Events { get; init; }

    /// <summary>Set when the log no longer holds every event asked for.</summary>
    [Id(11)] public bool Gap { get; init; }

    public bool Succeeded => Status is SessionStatus.Ok or SessionStatus.Created;

    public static SessionReply Fail(SessionStatus status, string detail) => new() { Status = status, Detail = detail };
}
