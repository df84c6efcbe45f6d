using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;

namespace SessionGrains.Client.Operations;

/// <summary>
/// Writes a problem detail as <c>application/problem+json</c> when ASP.NET Core's own writer declines because the
/// request's <c>Accept</c> header names no JSON type (for example <c>text/html</c>). Registered after the default
/// writer, so it only fills that gap: every error of this service is a problem detail, whatever the client accepts.
/// </summary>
public sealed class FallbackProblemWriter(IOptions<JsonOptions> json) : IProblemDetailsWriter
{
    public bool CanWrite(ProblemDetailsContext context) => true;

    public ValueTask WriteAsync(ProblemDetailsContext context)
    {
        var http = context.HttpContext;
        var problem = context.ProblemDetails;
        problem.Status ??= http.Response.StatusCode;
        problem.Title ??= ReasonPhrases.GetReasonPhrase(problem.Status.Value);
        problem.Extensions.TryAdd("traceId", System.Diagnostics.Activity.Current?.Id ?? http.TraceIdentifier);
        return new ValueTask(http.Response.WriteAsJsonAsync(problem, typeof(Microsoft.AspNetCore.Mvc.ProblemDetails), json.Value.SerializerOptions, "application/problem+json", http.RequestAborted));
    }
}
