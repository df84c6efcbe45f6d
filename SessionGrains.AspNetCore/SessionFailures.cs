using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace SessionGrains.AspNetCore;

/// <summary>
/// Outermost middleware of an app using the store: a <see cref="SessionStoreException"/> that the app did not handle, or
/// a commit that failed before the response started (which <c>UseSession</c> only logs), becomes
/// <c>503 Service Unavailable</c> with <c>Retry-After</c> and a problem detail, never the page as if it had been stored.
/// </summary>
internal sealed partial class SessionFailures(RequestDelegate next, ILogger<SessionFailures> logger)
{
    /// <summary>The <c>type</c> of the problem detail.</summary>
    public const string ProblemType = "urn:session-grains:problem:session-store-unavailable";

    public async Task InvokeAsync(HttpContext http)
    {
        try
        {
            await next(http).ConfigureAwait(false);
        }
        catch (SessionStoreException ex) when (!http.Response.HasStarted)
        {
            LogAnswered(ex);
            await AnswerAsync(http, ex).ConfigureAwait(false);
            return;
        }
        if (http.Features.Get<SessionStoreFailure>() is { } failure && !http.Response.HasStarted)
        {
            await AnswerAsync(http, failure.Exception).ConfigureAwait(false);
        }
    }

    /// <summary>Records a commit that failed before the response started (UseSession swallows the commit's exception).</summary>
    public static void Record(HttpContext http, SessionStoreException exception) => http.Features.Set(new SessionStoreFailure(exception));

    private static Task AnswerAsync(HttpContext http, SessionStoreException exception)
    {
        http.Response.Clear();
        http.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        var seconds = Math.Max(1, (int)Math.Ceiling((exception.RetryAfter ?? TimeSpan.FromSeconds(1)).TotalSeconds));
        http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        http.Response.Headers.CacheControl = "no-store";
        return Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, type: ProblemType, title: "Session store unavailable",
            detail: "The session could not be stored; nothing of this request's session changes was kept. Retry later.").ExecuteAsync(http);
    }

    [LoggerMessage(EventId = 5010, Level = LogLevel.Error, Message = "The session could not be stored before the response started; answered 503")]
    private partial void LogAnswered(Exception ex);

    internal sealed record SessionStoreFailure(SessionStoreException Exception);

    /// <summary>Puts <see cref="SessionFailures"/> in front of the app's own pipeline.</summary>
    internal sealed class StartupFilter : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.UseMiddleware<SessionFailures>();
            next(app);
        };
    }
}
