using Microsoft.AspNetCore.Http.HttpResults;
using SessionGrains.Interfaces;

namespace SessionGrains.Client.Sessions;

/// <summary>The one place that maps session outcomes to HTTP problem details (RFC 9457).</summary>
public static class SessionProblems
{
    public const string TypePrefix = "urn:session-grains:problem:";

    public static ProblemHttpResult From(SessionFailure failure, HttpContext context)
    {
        var (status, name, title) = failure.Status switch
        {
            SessionStatus.SessionNotFound => (StatusCodes.Status404NotFound, "session-not-found", "Session not found"),
            SessionStatus.KeyNotFound => (StatusCodes.Status404NotFound, "key-not-found", "Key not found"),
            SessionStatus.VersionMismatch => (StatusCodes.Status412PreconditionFailed, "version-mismatch", "Session version does not match If-Match"),
            SessionStatus.InvalidKey => (StatusCodes.Status400BadRequest, "invalid-key", "Invalid key"),
            SessionStatus.InvalidArgument => (StatusCodes.Status400BadRequest, "invalid-argument", "Invalid argument"),
            SessionStatus.ValueTooLarge => (StatusCodes.Status413PayloadTooLarge, "value-too-large", "Value too large"),
            SessionStatus.SessionTooLarge => (StatusCodes.Status413PayloadTooLarge, "session-too-large", "Session too large"),
            SessionStatus.TooManyKeys => (StatusCodes.Status422UnprocessableEntity, "too-many-keys", "Too many keys"),
            SessionStatus.NotAnInteger => (StatusCodes.Status409Conflict, "not-an-integer", "Value is not an integer"),
            SessionStatus.RateLimited => (StatusCodes.Status429TooManyRequests, "rate-limited", "Too many requests for this session"),
            SessionStatus.TooManySockets => (StatusCodes.Status429TooManyRequests, "too-many-sockets", "Too many WebSockets for this session"),
            SessionStatus.AlreadyExists => (StatusCodes.Status409Conflict, "already-exists", "Session already exists"),
            SessionStatus.IdempotencyKeyReused => (StatusCodes.Status422UnprocessableEntity, "idempotency-key-reused", "Idempotency key already used for another request"),
            SessionStatus.LeaseBusy => (StatusCodes.Status423Locked, "lease-busy", "Session lease held by another request"),
            SessionStatus.LeaseLost => (StatusCodes.Status409Conflict, "lease-lost", "Lease not held"),
            SessionStatus.TooManyJobs => (StatusCodes.Status429TooManyRequests, "too-many-jobs", "Too many jobs for this session"),
            SessionStatus.JobNotFound => (StatusCodes.Status404NotFound, "job-not-found", "Job not found"),
            SessionStatus.JobTooLarge => (StatusCodes.Status413PayloadTooLarge, "job-too-large", "Job too large"),
            _ => (StatusCodes.Status500InternalServerError, "unexpected", "Unexpected session outcome"),
        };
        if (failure.RetryAfterSeconds > 0) context.Response.Headers.RetryAfter = failure.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return Problem(status, name, title, failure.Detail);
    }

    public static ProblemHttpResult Problem(int status, string name, string title, string? detail) =>
        TypedResults.Problem(detail: detail, statusCode: status, title: title, type: TypePrefix + name);

    public static ProblemHttpResult BadRequest(string detail) =>
        Problem(StatusCodes.Status400BadRequest, "bad-request", "Bad request", detail);

    public static ProblemHttpResult Unauthorized(string detail) =>
        Problem(StatusCodes.Status401Unauthorized, "unauthorized", "Unauthorized", detail);
}
