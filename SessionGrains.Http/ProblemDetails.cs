using System.Net;
using System.Text.Json;

namespace SessionGrains.Http;

/// <summary>Turns a refused answer (RFC 9457 problem detail) into the matching <see cref="SessionGrainsException"/>.</summary>
internal static class ProblemDetails
{
    public static async Task<SessionGrainsException> ReadAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        string? type = null, title = null, detail = null;
        try
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            if (text.Length > 0)
            {
                using var document = JsonDocument.Parse(text);
                if (document.RootElement.ValueKind == JsonValueKind.Object)
                {
                    type = Member(document.RootElement, "type");
                    title = Member(document.RootElement, "title");
                    detail = Member(document.RootElement, "detail");
                }
            }
        }
        catch (JsonException)
        {
            // Not a problem detail (a proxy's error page, say): the status alone says what happened.
        }
        return Create(response.StatusCode, type, title, detail, RetryAfter(response));
    }

    /// <summary>The exception for a status and problem type.</summary>
    public static SessionGrainsException Create(HttpStatusCode status, string? type, string? title, string? detail, TimeSpan? retryAfter)
    {
        var name = type is not null && type.StartsWith(SessionGrainsException.TypePrefix, StringComparison.Ordinal)
            ? type[SessionGrainsException.TypePrefix.Length..]
            : null;
        return name switch
        {
            "session-not-found" => new SessionNotFoundException(detail),
            "key-not-found" => new SessionKeyNotFoundException(detail),
            "version-mismatch" => new VersionMismatchException(detail),
            "rate-limited" or "too-many-sockets" => new RateLimitedException(type, detail, retryAfter),
            "idempotency-key-reused" => new IdempotencyKeyReusedException(detail),
            "unauthorized" => new SessionUnauthorizedException(detail),
            "lease-busy" => new LeaseBusyException(detail, retryAfter),
            "lease-lost" => new LeaseLostException(detail),
            "unavailable" => new SessionUnavailableException(detail, retryAfter),
            "value-too-large" or "session-too-large" or "body-too-large" or "too-many-keys" => new SessionLimitException(status, type, title, detail),
            "not-an-integer" => new NotAnIntegerException(detail),
            _ when status == HttpStatusCode.ServiceUnavailable => new SessionUnavailableException(detail, retryAfter),
            _ => new SessionGrainsException(status, type, title, detail, retryAfter),
        };
    }

    /// <summary>The <c>Retry-After</c> delay of an answer, as seconds or a date.</summary>
    public static TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        var header = response.Headers.RetryAfter;
        if (header?.Delta is { } delta) return delta;
        if (header?.Date is { } date) return date - DateTimeOffset.UtcNow is var wait && wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
        return null;
    }

    private static string? Member(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
