using SessionGrains.Interfaces;

namespace SessionGrains.Grains;

/// <summary>
/// The checks a call passes before it may act, in order: the session's rate limit, the write's own conditions
/// (idempotency key syntax), then, once the session is known to be live, its precondition (If-Match).
/// </summary>
public static class Admission
{
    public static readonly SessionFailure NotFound = new(SessionStatus.SessionNotFound, "The session does not exist or has expired.");

    /// <summary>Takes a token from the session's bucket, or answers how long to wait.</summary>
    public static SessionFailure? Throttle(ref TokenBucket bucket, SessionRules rules) =>
        bucket.TryTake(out var retryAfter)
            ? null
            : new SessionFailure(
                SessionStatus.RateLimited,
                $"This session may make at most {rules.RequestsPerSecond} requests a second.",
                Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)));

    /// <summary>A write's idempotency key must have the contract's syntax (the front end checks it too).</summary>
    public static SessionFailure? CheckKey(SessionWrite write) =>
        write.IdempotencyKey is { } key && !SessionKeys.IsValidIdempotencyKey(key)
            ? new SessionFailure(SessionStatus.InvalidArgument, SessionKeys.IdempotencyKeyRule)
            : null;

    /// <summary>The If-Match precondition against the session's version.</summary>
    public static SessionFailure? CheckVersion(SessionWrite write, long version) =>
        write.IfMatchVersion is { } expected && expected != version
            ? new SessionFailure(SessionStatus.VersionMismatch, $"The session is at version {version}, not {expected}.")
            : null;
}
