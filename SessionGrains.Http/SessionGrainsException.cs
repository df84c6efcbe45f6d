using System.Net;

namespace SessionGrains.Http;

/// <summary>
/// A request the SessionGrains service refused, with its RFC 9457 problem detail. Subclasses name the problems a caller
/// is likely to handle; any other problem arrives as this type with its <see cref="ProblemType"/>.
/// </summary>
public class SessionGrainsException : Exception
{
    /// <summary>The prefix of every SessionGrains problem type.</summary>
    public const string TypePrefix = "urn:session-grains:problem:";

    /// <summary>Creates the exception for a problem detail.</summary>
    public SessionGrainsException(HttpStatusCode status, string? problemType, string? title, string? detail, TimeSpan? retryAfter = null)
        : base(detail ?? title ?? $"SessionGrains answered {(int)status}.")
    {
        Status = status;
        ProblemType = problemType;
        Title = title;
        Detail = detail;
        RetryAfter = retryAfter;
    }

    /// <summary>The HTTP status of the answer.</summary>
    public HttpStatusCode Status { get; }

    /// <summary>The problem's <c>type</c>, e.g. <c>urn:session-grains:problem:version-mismatch</c>.</summary>
    public string? ProblemType { get; }

    /// <summary>The name after <see cref="TypePrefix"/> (<c>version-mismatch</c>), or null for other types.</summary>
    public string? ProblemName => ProblemType is { } type && type.StartsWith(TypePrefix, StringComparison.Ordinal) ? type[TypePrefix.Length..] : null;

    /// <summary>The problem's short title.</summary>
    public string? Title { get; }

    /// <summary>The problem's explanation of this occurrence.</summary>
    public string? Detail { get; }

    /// <summary>How long to wait before trying again (<c>Retry-After</c>), when the service said so.</summary>
    public TimeSpan? RetryAfter { get; }
}

/// <summary>404 <c>session-not-found</c>: the session does not exist, expired, was deleted or was rotated away.</summary>
public sealed class SessionNotFoundException(string? detail)
    : SessionGrainsException(HttpStatusCode.NotFound, TypePrefix + "session-not-found", "Session not found", detail);

/// <summary>404 <c>key-not-found</c>: the session holds no such key.</summary>
public sealed class SessionKeyNotFoundException(string? detail)
    : SessionGrainsException(HttpStatusCode.NotFound, TypePrefix + "key-not-found", "Key not found", detail);

/// <summary>412 <c>version-mismatch</c>: <c>If-Match</c> named another version than the session's; nothing changed.</summary>
public sealed class VersionMismatchException(string? detail)
    : SessionGrainsException(HttpStatusCode.PreconditionFailed, TypePrefix + "version-mismatch", "Session version does not match If-Match", detail);

/// <summary>429 <c>rate-limited</c> or <c>too-many-sockets</c>; <see cref="SessionGrainsException.RetryAfter"/> says when to retry.</summary>
public sealed class RateLimitedException(string? problemType, string? detail, TimeSpan? retryAfter)
    : SessionGrainsException(HttpStatusCode.TooManyRequests, problemType, "Too many requests", detail, retryAfter);

/// <summary>422 <c>idempotency-key-reused</c>: the key already answered a different request; use a new key for a new write.</summary>
public sealed class IdempotencyKeyReusedException(string? detail)
    : SessionGrainsException(HttpStatusCode.UnprocessableEntity, TypePrefix + "idempotency-key-reused", "Idempotency key already used for another request", detail);

/// <summary>401 <c>unauthorized</c>: no genuine session token (or API key) was presented.</summary>
public sealed class SessionUnauthorizedException(string? detail)
    : SessionGrainsException(HttpStatusCode.Unauthorized, TypePrefix + "unauthorized", "Unauthorized", detail);

/// <summary>423 <c>lease-busy</c>: another request held the session's lease for the whole wait.</summary>
public sealed class LeaseBusyException(string? detail, TimeSpan? retryAfter)
    : SessionGrainsException((HttpStatusCode)423, TypePrefix + "lease-busy", "Session lease held by another request", detail, retryAfter);

/// <summary>409 <c>lease-lost</c>: the write named a lease no longer in force; nothing changed. Acquire again and re-read.</summary>
public sealed class LeaseLostException(string? detail)
    : SessionGrainsException(HttpStatusCode.Conflict, TypePrefix + "lease-lost", "Lease not held", detail);

/// <summary>503 <c>unavailable</c> after the client's own retries: the write may or may not stand; repeat it with the same idempotency key.</summary>
public sealed class SessionUnavailableException(string? detail, TimeSpan? retryAfter)
    : SessionGrainsException(HttpStatusCode.ServiceUnavailable, TypePrefix + "unavailable", "Service unavailable", detail, retryAfter);

/// <summary>413 <c>value-too-large</c> / <c>session-too-large</c> / <c>body-too-large</c> or 422 <c>too-many-keys</c>: a limit of the service.</summary>
public sealed class SessionLimitException(HttpStatusCode status, string? problemType, string? title, string? detail)
    : SessionGrainsException(status, problemType, title, detail);

/// <summary>409 <c>not-an-integer</c>: the counter holds something else, or the sum would overflow 64 bits.</summary>
public sealed class NotAnIntegerException(string? detail)
    : SessionGrainsException(HttpStatusCode.Conflict, TypePrefix + "not-an-integer", "Value is not an integer", detail);
