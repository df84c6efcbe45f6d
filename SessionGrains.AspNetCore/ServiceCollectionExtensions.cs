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
            .ValidateOnStart();
        services.AddHttpContextAccessor();
        services.AddDataProtection();
        services.TryAddSingleton<SessionCookie>();
        services.TryAddSingleton<LegacySessions>();
        // Replaces DistributedSessionStore whether AddSession() ran before or runs after (it only TryAdds its store).
        services.RemoveAll<ISessionStore>();
        services.AddTransient<ISessionStore, SessionGrainsStore>();
        var client = services.AddSessionGrainsClient(_ => { });
        // The client talks to the front end the session options name.
        services.AddOptions<SessionGrainsClientOptions>()
            .Configure<IOptions<SessionGrainsOptions>>((clientOptions, sessionOptions) => clientOptions.BaseAddress = sessionOptions.Value.BaseAddress);
        return client;
    }
}
