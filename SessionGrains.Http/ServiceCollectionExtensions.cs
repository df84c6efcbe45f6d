using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Timeout;

namespace SessionGrains.Http;

/// <summary>Registers <see cref="SessionGrainsClient"/> as a typed <see cref="HttpClient"/>.</summary>
public static class ServiceCollectionExtensions
{
    /// <summary>The name of the client's resilience pipeline.</summary>
    public const string PipelineName = "session-grains";

    /// <summary>The header that carries <see cref="SessionGrainsClientOptions.ApiKey"/>.</summary>
    public const string ApiKeyHeader = "X-Api-Key";

    /// <summary>
    /// Adds <see cref="SessionGrainsClient"/> through <c>IHttpClientFactory</c>: its base address from the options, an
    /// <see cref="IdempotencyKeyHandler"/>, and a resilience handler that retries transport errors and 408, 429, 502, 503
    /// and 504 answers, honouring <c>Retry-After</c>. Retrying writes is safe because each carries an idempotency key.
    /// Returns the builder, to add handlers of your own.
    /// </summary>
    public static IHttpClientBuilder AddSessionGrainsClient(this IServiceCollection services, Action<SessionGrainsClientOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<SessionGrainsClientOptions>()
            .Configure(configure)
            .Validate(o => o.BaseAddress is { IsAbsoluteUri: true }, "SessionGrainsClientOptions.BaseAddress must be an absolute URI.")
            .Validate(o => o.MaxRetries >= 0 && o.RetryDelay > TimeSpan.Zero && o.AttemptTimeout > TimeSpan.Zero && !(o.MaxRetryAfter < TimeSpan.Zero), "Retry settings must be positive.")
            .Validate(o => o.ApiKey is null || (o.ApiKey.Length > 0 && !o.ApiKey.Any(char.IsControl)), "SessionGrainsClientOptions.ApiKey must be non-empty and printable.");
        services.AddTransient<IdempotencyKeyHandler>();
        var builder = services.AddHttpClient<SessionGrainsClient>((provider, http) =>
        {
            var options = provider.GetRequiredService<IOptions<SessionGrainsClientOptions>>().Value;
            http.BaseAddress = options.BaseAddress;
            if (options.ApiKey is { } apiKey) http.DefaultRequestHeaders.Add(ApiKeyHeader, apiKey);
            // Attempts have their own time limit in the pipeline.
            http.Timeout = Timeout.InfiniteTimeSpan;
        });
        // No cookie jar: the client speaks for many users with their bearer tokens, and a shared handler must never carry
        // one user's session cookie into another user's request (the front end also refuses cookie writes without an Origin).
        builder.ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { UseCookies = false, PooledConnectionLifetime = TimeSpan.FromMinutes(5) });
        builder.AddHttpMessageHandler<IdempotencyKeyHandler>();
        builder.AddResilienceHandler(PipelineName, (pipeline, context) =>
        {
            var options = context.ServiceProvider.GetRequiredService<IOptions<SessionGrainsClientOptions>>().Value;
            if (options.MaxRetries > 0)
            {
                pipeline.AddRetry(new HttpRetryStrategyOptions
                {
                    MaxRetryAttempts = options.MaxRetries,
                    BackoffType = DelayBackoffType.Exponential,
                    UseJitter = true,
                    Delay = options.RetryDelay,
                    ShouldRetryAfterHeader = true,
                    ShouldHandle = args => ValueTask.FromResult(IsTransient(args.Outcome) && !WaitsTooLong(args.Outcome, options.MaxRetryAfter)),
                });
            }
            pipeline.AddTimeout(options.AttemptTimeout);
        });
        return builder;
    }

    /// <summary>Whether the answer asks for a longer pause than <paramref name="maxRetryAfter"/> before a retry.</summary>
    public static bool WaitsTooLong(Outcome<HttpResponseMessage> outcome, TimeSpan? maxRetryAfter)
    {
        if (maxRetryAfter is not { } max || outcome.Result?.Headers.RetryAfter is not { } retryAfter) return false;
        var wait = retryAfter.Delta ?? (retryAfter.Date is { } date ? date - DateTimeOffset.UtcNow : TimeSpan.Zero);
        return wait > max;
    }

    /// <summary>Whether an attempt failed in a way a retry may cure, without risk of applying a write twice.</summary>
    public static bool IsTransient(Outcome<HttpResponseMessage> outcome) => outcome switch
    {
        { Exception: HttpRequestException or TimeoutRejectedException } => true,
        { Result.StatusCode: HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests or HttpStatusCode.BadGateway
            or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout } => true,
        _ => false,
    };
}
