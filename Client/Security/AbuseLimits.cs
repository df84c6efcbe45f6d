using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using SessionGrains.Client.Admin;
using SessionGrains.Client.Sessions;

namespace SessionGrains.Client.Security;

/// <summary>
/// ASP.NET Core's rate limiter in front of every route: session creation per client address and in total, and
/// requests without a credential per address and in total (<see cref="RateLimitOptions"/>). A refused request is
/// 429 <c>too-many-requests</c> with <c>Retry-After</c>, before any grain is called.
/// </summary>
public static class AbuseLimits
{
    public static IServiceCollection AddAbuseLimits(this IServiceCollection services)
    {
        services.AddRateLimiter(_ => { });
        services.AddOptions<RateLimiterOptions>().Configure<IOptions<RateLimitOptions>, SessionTokens, ApiKeyCheck>((limiter, options, tokens, apiKey) =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.OnRejected = Reject;
            if (!options.Value.Enabled) return;
            var o = options.Value;
            limiter.GlobalLimiter = PartitionedRateLimiter.CreateChained(
                Limit(o.AnonymousPerAddress, context => Classify(context, tokens, apiKey).Anonymous ? ClientAddress.PartitionKey(context) : null),
                Limit(o.AnonymousGlobal, context => Classify(context, tokens, apiKey).Anonymous && !IsHealthCheck(context) ? "all" : null),
                Limit(o.CreatePerAddress, context => Classify(context, tokens, apiKey).Creates ? ClientAddress.PartitionKey(context) : null),
                Limit(o.CreateGlobal, context => Classify(context, tokens, apiKey).Creates ? "all" : null));
        });
        return services;
    }

    /// <summary>A limiter of token buckets, one per key; a null key is not limited.</summary>
    private static PartitionedRateLimiter<HttpContext> Limit(RateLimit limit, Func<HttpContext, string?> keyOf) =>
        PartitionedRateLimiter.Create<HttpContext, string>(context => keyOf(context) is { } key
            ? RateLimitPartition.GetTokenBucketLimiter(key, _ => new TokenBucketRateLimiterOptions
            {
                TokenLimit = limit.Permits,
                TokensPerPeriod = limit.Permits,
                ReplenishmentPeriod = limit.Window,
                QueueLimit = 0,
                AutoReplenishment = true,
            })
            : RateLimitPartition.GetNoLimiter("none"));

    /// <summary>What a request is, worked out once per request and kept in its items.</summary>
    private static Kind Classify(HttpContext context, SessionTokens tokens, ApiKeyCheck apiKey)
    {
        if (context.Items.TryGetValue(typeof(Kind), out var known) && known is Kind kind) return kind;
        var trusted = apiKey.IsTrusted(context);
        var creates = !trusted && HttpMethods.IsPost(context.Request.Method) && IsCreateRoute(context);
        var anonymous = !trusted && !HasGenuineToken(context.Request, tokens);
        kind = new Kind(anonymous, creates);
        context.Items[typeof(Kind)] = kind;
        return kind;
    }

    private static bool IsCreateRoute(HttpContext context) =>
        context.GetEndpoint() is RouteEndpoint endpoint && (endpoint.RoutePattern.RawText ?? "").Trim('/') == "sessions";

    private static bool IsHealthCheck(HttpContext context) =>
        context.Request.Path.StartsWithSegments("/healthz") || context.Request.Path.StartsWithSegments("/readyz");

    private static bool HasGenuineToken(HttpRequest request, SessionTokens tokens)
    {
        if (request.Headers.Authorization.Count > 0)
        {
            var authorization = request.Headers.Authorization.ToString();
            return authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) && tokens.TryVerify(authorization["Bearer ".Length..].Trim(), out _);
        }
        return request.Cookies.TryGetValue(SessionIdentity.CookieName, out var cookie) && tokens.TryVerify(cookie, out _);
    }

    private static async ValueTask Reject(OnRejectedContext rejected, CancellationToken cancellationToken)
    {
        var retryAfter = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromSeconds(1);
        var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
        rejected.HttpContext.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        await SessionProblems.Problem(StatusCodes.Status429TooManyRequests, "too-many-requests", "Too many requests",
            $"Too many requests from this address, or to this service; retry after {seconds} s.").ExecuteAsync(rejected.HttpContext);
    }

    private sealed record Kind(bool Anonymous, bool Creates);
}
