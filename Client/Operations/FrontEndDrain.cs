using Microsoft.Extensions.Options;

namespace SessionGrains.Client.Operations;

/// <summary>
/// How a front end stops (SIGTERM: <c>docker stop</c>, a pod's termination, the launcher's <c>stop-frontend</c>).
/// At once: <c>/readyz</c> answers 503 and every response carries <c>Connection: close</c>; Kestrel, the first
/// hosted service to stop, closes its listener (new connections are refused, so a load balancer retries them
/// elsewhere) and closes idle keep-alive connections. The requests already in flight have
/// <see cref="FrontEndOptions.DrainTimeout"/> to finish; then the grain waits of those still running are cancelled
/// and they are answered 503 with <c>Retry-After</c> and <c>Connection: close</c>, a status any client may retry.
/// Open WebSockets are closed with 1001 (going away); clients resume on another front end with <c>afterSeq</c>.
/// The Orleans client stops only after Kestrel has answered everything.
/// </summary>
public sealed class FrontEndDrain : IDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private readonly CancellationTokenSource _deadline = new();
    private readonly CancellationTokenRegistration _registration;

    public FrontEndDrain(IHostApplicationLifetime lifetime, IOptions<FrontEndOptions> options)
    {
        var timeout = options.Value.DrainTimeout;
        _registration = lifetime.ApplicationStopping.Register(() =>
        {
            _stopping.Cancel();
            _deadline.CancelAfter(timeout);
        });
    }

    /// <summary>The front end has been told to stop.</summary>
    public bool IsDraining => _stopping.IsCancellationRequested;

    /// <summary>Cancelled when the front end is told to stop.</summary>
    public CancellationToken Stopping => _stopping.Token;

    /// <summary>Cancelled <see cref="FrontEndOptions.DrainTimeout"/> after the front end was told to stop.</summary>
    public CancellationToken Deadline => _deadline.Token;

    public void Dispose()
    {
        _registration.Dispose();
        _stopping.Dispose();
        _deadline.Dispose();
    }
}

/// <summary>A request was still waiting when its stopping front end's drain timeout passed; answered 503, retryable.</summary>
public sealed class FrontEndStoppingException() : Exception("The front end is stopping; retry the request on another one.");

public static class FrontEndDrainMiddleware
{
    /// <summary>
    /// Bounds every request by the drain (see <see cref="FrontEndDrain"/>). Goes inside <c>UseExceptionHandler</c>, which
    /// turns <see cref="FrontEndStoppingException"/> into the 503.
    /// </summary>
    public static IApplicationBuilder UseFrontEndDrain(this IApplicationBuilder app)
    {
        var drain = app.ApplicationServices.GetRequiredService<FrontEndDrain>();
        return app.Use(async (context, next) =>
        {
            context.Response.OnStarting(static state =>
            {
                var (drain, response) = ((FrontEndDrain, HttpResponse))state;
                // HTTP/1.1 only: the client opens its next request elsewhere instead of on a closing connection.
                if (drain.IsDraining && HttpProtocol.IsHttp11(response.HttpContext.Request.Protocol)) response.Headers.Connection = "close";
                return Task.CompletedTask;
            }, (drain, context.Response));
            var aborted = context.RequestAborted;
            using var bounded = CancellationTokenSource.CreateLinkedTokenSource(aborted, drain.Deadline);
            context.RequestAborted = bounded.Token;
            try
            {
                await next(context);
            }
            catch (OperationCanceledException) when (drain.Deadline.IsCancellationRequested && !aborted.IsCancellationRequested && !context.Response.HasStarted)
            {
                // The request's own token again, so the exception handler does not take this for a client that left.
                context.RequestAborted = aborted;
                throw new FrontEndStoppingException();
            }
            finally
            {
                context.RequestAborted = aborted;
            }
        });
    }
}
