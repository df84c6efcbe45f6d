using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.AspNetCore.Session;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using SessionGrains.Direct;
using SessionGrains.Http;

namespace SessionGrains.AspNetCore;

/// <summary>Registers SessionGrains as the store behind <c>AddSession()</c>/<c>UseSession()</c>.</summary>
public static class ServiceCollectionExtensions
{
    /// <summary>
    /// Makes <c>HttpContext.Session</c> live in SessionGrains: call it instead of <c>AddStackExchangeRedisCache</c> (or
    /// any <c>IDistributedCache</c>), before or after <c>AddSession()</c>; the app's session code stays as it is. Over HTTP
    /// (<see cref="SessionGrainsOptions.BaseAddress"/>) it registers the typed <see cref="SessionGrainsClient"/>; as an
    /// Orleans client (<see cref="SessionGrainsOptions.UseCluster"/>, <see cref="SessionGrainsOptions.UseStandalone"/>,
    /// <see cref="SessionGrainsOptions.UseOrleansClient"/>) it calls the session grains directly. <paramref name="configure"/>
    /// runs once at registration too, to choose the mode. Returns the HTTP client's <see cref="IHttpClientBuilder"/>
    /// (registered in every mode, used over HTTP only).
    /// </summary>
    public static IHttpClientBuilder AddSessionGrains(this IServiceCollection services, Action<SessionGrainsOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        var chosen = new SessionGrainsOptions();
        configure(chosen);
        services.AddOptions<SessionGrainsOptions>()
            .Configure(configure)
            .Validate(o => o.Cluster is not null || o.BaseAddress is { IsAbsoluteUri: true }, "SessionGrainsOptions.BaseAddress must be an absolute URI of the SessionGrains front end (or use UseCluster, UseStandalone or UseOrleansClient).")
            .Validate(o => o.Cluster is null || o.SigningKey is not null, "SessionGrainsOptions.SigningKey (the front end's Tokens:SigningKey) is required as an Orleans client of the cluster.")
            .Validate(o => o.LeaseTtl >= TimeSpan.FromSeconds(1) && o.LeaseTtl <= TimeSpan.FromMinutes(5), "SessionGrainsOptions.LeaseTtl must lie between 1 second and 5 minutes.")
            .Validate(o => o.ThrottleWait >= TimeSpan.Zero && o.ThrottleWait <= TimeSpan.FromSeconds(30), "SessionGrainsOptions.ThrottleWait must lie between 0 and 30 seconds.")
            .Validate(o => o.ApiKey is null || o.ApiKey.Length > 0, "SessionGrainsOptions.ApiKey must not be empty (leave it null for an anonymous store).")
            .ValidateOnStart();
        services.AddHttpContextAccessor();
        services.AddDataProtection();
        services.TryAddSingleton<SessionCookie>();
        services.TryAddSingleton<LegacySessions>();
        services.TryAddSingleton<LeaseKeeper>();
        // Replaces DistributedSessionStore whether AddSession() ran before or runs after (it only TryAdds its store).
        services.RemoveAll<ISessionStore>();
        services.AddTransient<ISessionStore, SessionGrainsStore>();
        // A store failure the app did not handle becomes 503, never a page whose session changes were lost.
        services.TryAddEnumerable(ServiceDescriptor.Transient<IStartupFilter, SessionFailures.StartupFilter>());
        if (chosen.Cluster is { } cluster) AddGrainConnection(services, cluster);
        else services.TryAddSingleton<ISessionConnection, HttpSessionConnection>();
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

    /// <summary>The store as an Orleans client: its own (routed to the silo hosting each session), or the app's.</summary>
    private static void AddGrainConnection(IServiceCollection services, SessionClusterAccess cluster)
    {
        services.TryAddSingleton<ISessionConnection, GrainSessionConnection>();
        services.TryAddSingleton<SessionGateway>();
        services.TryAddSingleton<SessionTokens>();
        services.AddOptions<SessionCallOptions>();
        services.AddOptions<TokenOptions>().Configure<IOptions<SessionGrainsOptions>>((tokens, options) =>
        {
            tokens.SigningKey = options.Value.SigningKey;
            tokens.VerificationKeys = [.. options.Value.VerificationKeys];
        });
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TokenOptions>, TokenOptionsValidator>());
        if (cluster.Kind == SessionClusterKind.AppClient) return;
        // A standalone front end's one silo hosts every session (and runs no router): calls go straight to the grain.
        if (cluster.Kind == SessionClusterKind.Localhost)
        {
            services.AddOrleansClient(client => client.UseLocalhostClustering(cluster.GatewayPort, cluster.ServiceId, cluster.ClusterId).ConfigureFailover());
            return;
        }
        services.AddSessionRouting();
        services.AddOrleansClient(client =>
        {
            client.UseSessionCluster(cluster.Redis!, cluster.ClusterId, cluster.ServiceId);
            client.AddGatewayCountChangedHandler(provider => (_, _) => provider.GetRequiredService<SessionRouting>().RefreshSoon());
        });
    }
}
