using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Session;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using SessionGrains.Http;

namespace SessionGrains.AspNetCore;

/// <summary>Registers SessionGrains as the store behind <c>AddSession()</c>/<c>UseSession()</c>.</summary>
public static class ServiceCollectionExtensions
{
    /// <summary>
    /// Makes <c>HttpContext.Session</c> live in SessionGrains: call it instead of <c>AddStackExchangeRedisCache</c> (or
    /// any <c>IDistributedCache</c>), before or after <c>AddSession()</c>; the app's session code stays as it is. Registers
    /// the typed <see cref="SessionGrainsClient"/> for <see cref="SessionGrainsOptions.BaseAddress"/>; returns its
    /// <see cref="IHttpClientBuilder"/>.
    /// </summary>
    public static IHttpClientBuilder AddSessionGrains(this IServiceCollection services, Action<SessionGrainsOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<SessionGrainsOptions>()
            .Configure(configure)
            .Validate(o => o.BaseAddress is { IsAbsoluteUri: true }, "SessionGrainsOptions.BaseAddress must be an absolute URI of the SessionGrains front end.")
            .Validate(o => o.LeaseTtl >= TimeSpan.FromSeconds(1) && o.LeaseTtl <= TimeSpan.FromMinutes(5), "SessionGrainsOptions.LeaseTtl must lie between 1 second and 5 minutes.")
            .Validate(o => o.ThrottleWait >= TimeSpan.Zero && o.ThrottleWait <= TimeSpan.FromSeconds(30), "SessionGrainsOptions.ThrottleWait must lie between 0 and 30 seconds.")
            .Validate(o => o.ApiKey is null || o.ApiKey.Length > 0, "SessionGrainsOptions.ApiKey must not be empty (leave it null for an anonymous store).")
            .ValidateOnStart();
        services.AddHttpContextAccessor();
        services.AddDataProtection();
        services.TryAddSingleton<SessionCookie>();
        services.TryAddSingleton<LegacySessions>();
        // Replaces DistributedSessionStore whether AddSession() ran before or runs after (it only TryAdds its store).
        services.RemoveAll<ISessionStore>();
        services.AddTransient<ISessionStore, SessionGrainsStore>();
        // A store failure the app did not handle becomes 503, never a page whose session changes were lost.
        services.TryAddEnumerable(ServiceDescriptor.Transient<IStartupFilter, SessionFailures.StartupFilter>());
        var client = services.AddSessionGrainsClient(_ => { });
        // The client talks to the front end the session options name, as the app they name, and waits briefly if at all when throttled.
        services.AddOptions<SessionGrainsClientOptions>()
            .Configure<IOptions<SessionGrainsOptions>>((clientOptions, sessionOptions) =>
            {
                clientOptions.BaseAddress = sessionOptions.Value.BaseAddress;
                clientOptions.ApiKey = sessionOptions.Value.ApiKey;
                clientOptions.MaxRetryAfter = sessionOptions.Value.ThrottleWait;
            });
        return client;
    }
}
