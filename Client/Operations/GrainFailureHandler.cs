using System.Globalization;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.Extensions.Options;
using SessionGrains.Client.Sessions;

namespace SessionGrains.Client.Operations;

/// <summary>
/// Maps failures that escape a handler to problem details: the cluster or storage being unreachable, or a stopping
/// front end's drain timeout, is 503 with Retry-After (nothing was acknowledged), a malformed request is its 4xx,
/// anything else 500.
/// </summary>
public sealed partial class GrainFailureHandler(IProblemDetailsService problems, IOptions<FrontEndOptions> options, ILogger<GrainFailureHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        int status;
        string name, title;
        if (exception is BadHttpRequestException bad)
        {
            (status, name, title) = (bad.StatusCode, "bad-request", "Bad request");
        }
        else if (exception is FrontEndStoppingException || GrainFailures.IsUnavailable(exception))
        {
            (status, name, title) = (StatusCodes.Status503ServiceUnavailable, "unavailable", "Service unavailable");
            context.Response.Headers.RetryAfter = options.Value.UnavailableRetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
            LogUnavailable(exception.GetType().Name, exception.Message);
        }
        else
        {
            (status, name, title) = (StatusCodes.Status500InternalServerError, "internal", "Internal error");
            LogUnexpected(exception);
        }

        context.Response.StatusCode = status;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            Exception = exception,
            ProblemDetails =
            {
                Status = status,
                Title = title,
                Type = SessionProblems.TypePrefix + name,
                Detail = status == StatusCodes.Status503ServiceUnavailable ? "The session could not be reached or stored in time, so the change is not acknowledged (storage may still hold it). Retry later, with the same Idempotency-Key to apply it at most once." : null,
            },
        });
    }

    [LoggerMessage(EventId = 3101, Level = LogLevel.Warning, Message = "Answering 503: {Failure}: {Message}")]
    private partial void LogUnavailable(string failure, string message);

    [LoggerMessage(EventId = 3102, Level = LogLevel.Error, Message = "Unexpected failure")]
    private partial void LogUnexpected(Exception exception);
}
