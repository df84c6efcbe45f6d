using Microsoft.Extensions.Hosting;
using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Dashboard;
using Orleans.Runtime.Hosting;
using Orleans.Storage;
using SessionGrains.Grains;
using SessionGrains.Grains.Storage;
using SessionGrains.Interfaces;

namespace SessionGrains.Hosting;

/// <summary>
/// The one silo configuration, used by the Silo host and by the front end's co-hosted silo in standalone mode.
/// Standalone: localhost clustering and SQLite storage. Cluster: Redis for membership and state.
/// </summary>
public static class SiloConfiguration
{
    public static ISiloBuilder AddSessionSilo(this ISiloBuilder silo, IConfiguration configuration, string contentRoot)
    {
        var cluster = configuration.ReadClusterOptions();
        silo.Services.AddSessionOptions(configuration);
        silo.Services.AddSessionGrainServices();
        if (SessionTelemetry.IsTracing(configuration)) silo.AddActivityPropagation();
        silo.Configure<ClusterOptions>(options =>
        {
            options.ServiceId = cluster.ServiceId;
            options.ClusterId = cluster.ClusterId;
        });
        silo.Services.AddOptions<GrainCollectionOptions>().Configure<IOptions<SessionRules>>((options, sessions) =>
            options.ClassSpecificCollectionAge[TelemetryNames.SessionGrainClass] = sessions.Value.ActivationIdleTime);

        // Every silo feeds the Orleans Dashboard (silos, activations per silo); the front end serves it at /dashboard.
        silo.AddDashboard();
        silo.AddSessionJobs(configuration, cluster); // Session jobs: Hosting/JobConfiguration.cs

        if (cluster.IsStandalone)
        {
            silo.UseLocalhostClustering(cluster.SiloPort, cluster.GatewayPort, serviceId: cluster.ServiceId, clusterId: cluster.ClusterId);
            // One silo finds every grain locally: a directory cache would only cost memory per session.
            silo.Configure<GrainDirectoryOptions>(options => options.CachingStrategy = GrainDirectoryOptions.CachingStrategyType.None);
            silo.Services.AddSqliteSessionStorage(Path.Combine(contentRoot, cluster.DataPath, "sessions.db"), ReadMaxQueuedWrites(configuration));
        }
        else
        {
            var redis = RedisConnection.Options(cluster.Redis!);
            silo.ConfigureEndpoints(IPAddress.Parse(cluster.AdvertisedAddress), cluster.SiloPort, cluster.GatewayPort, listenOnAnyHostAddress: false);
            silo.UseRedisClustering(options => options.ConfigurationOptions = redis.Clone());
            // The front ends' entry on each silo: calls reach the silo that hosts the session without a second hop.
            silo.AddGrainService<SessionRouterService>();
            silo.ConfigureFailureDetection(configuration);
            // Each record expires at its own purge time (ExpiringRedisStorage), not after one fixed time for all.
            ExpiringRedisStorage.AddExpiringRedisStorage(silo.Services, SessionStorage.Name, redis);
        }
        return silo;
    }

    /// <summary>Configuration key of the SQLite storage's write queue bound (standalone mode).</summary>
    public const string MaxQueuedWritesKey = "Storage:MaxQueuedWrites";

    private static int ReadMaxQueuedWrites(IConfiguration configuration)
    {
        var value = configuration.GetValue(MaxQueuedWritesKey, new SqliteStorageOptions().MaxQueuedWrites);
        if (value <= 0) throw new OptionsValidationException(MaxQueuedWritesKey, typeof(SqliteStorageOptions), [$"{MaxQueuedWritesKey} must be positive."]);
        return value;
    }

    /// <summary>What the grains need besides Orleans: a clock and the service's metrics.</summary>
    public static IServiceCollection AddSessionGrainServices(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddMetrics();
        services.TryAddSingleton<SessionMetrics>();
        return services;
    }

    /// <summary>The embedded durable storage of standalone mode: one SQLite file, Orleans' binary serializer.</summary>
    public static IServiceCollection AddSqliteSessionStorage(this IServiceCollection services, string filePath, int? maxQueuedWrites = null) =>
        services.AddGrainStorage(SessionStorage.Name, (provider, name) => new SqliteGrainStorage(
            name,
            new SqliteStorageOptions { FilePath = filePath, MaxQueuedWrites = maxQueuedWrites ?? new SqliteStorageOptions().MaxQueuedWrites },
            ActivatorUtilities.CreateInstance<OrleansGrainStorageSerializer>(provider),
            provider.GetRequiredService<TimeProvider>(),
            provider.GetRequiredService<ILogger<SqliteGrainStorage>>()));
}
