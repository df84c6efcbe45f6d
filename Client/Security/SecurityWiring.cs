using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using SessionGrains.Client.Admin;
using SessionGrains.Client.Operations;
using SessionGrains.Hosting;

namespace SessionGrains.Client.Security;

/// <summary>The front end's defences in one place: trusted proxies, abuse limits, CSRF, published keys. See SECURITY.md.</summary>
public static class SecurityWiring
{
    /// <summary>Registers the options and services; call after <c>AddProblemDetails</c>.</summary>
    public static IServiceCollection AddFrontEndSecurity(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<ProxyOptions, ProxyOptionsValidator>(configuration, ProxyOptions.Section);
        services.AddValidatedOptions<RateLimitOptions, RateLimitOptionsValidator>(configuration, RateLimitOptions.Section);
        services.AddValidatedOptions<AnonymousSessionOptions, AnonymousSessionOptionsValidator>(configuration, AnonymousSessionOptions.Section);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TokenOptions>, PublishedKeys>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<AdminOptions>, PublishedKeys>());
        services.AddOptions<AdminOptions>().ValidateOnStart();
        services.AddTrustedProxies();
        services.AddAbuseLimits();
        services.AddSingleton<IProblemDetailsWriter, FallbackProblemWriter>();
        return services;
    }

    /// <summary>First in the pipeline: the client address and scheme as trusted proxies forwarded them.</summary>
    public static IApplicationBuilder UseTrustedProxies(this IApplicationBuilder app) => app.UseForwardedHeaders();

    /// <summary>After the error handlers, before static files and routes: rate limits, then the CSRF check.</summary>
    public static IApplicationBuilder UseAbuseDefences(this IApplicationBuilder app) =>
        app.UseRateLimiter().UseMiddleware<CrossSiteRequests>();
}
