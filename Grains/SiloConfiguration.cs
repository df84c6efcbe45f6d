using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Runtime.Hosting;
using Orleans.Storage;
using SessionGrains.Grains.Storage;
using StackExchange.Redis;

namespace SessionGrains.Grains;

/// <summary>
/// The one silo configuration, used by the Silo host and by the front end's co-hosted silo in standalone mode.
/// Standalone: localhost clustering and SQLite storage. Cluster: Redis for membership, state and reminders.
/// </summary>
public static class SiloConfiguration
{
    public static ISiloBuilder AddSessionSilo(this ISiloBuilder silo, IConfiguration configuration, string contentRoot)
    {
        var cluster = configuration.GetSection(SessionClusterOptions.Section).Get<SessionClusterOptions>() ?? new();
        silo.Services.AddSessionOptions(configuration);
        silo.Services.TryAddClock();
        silo.Configure<ClusterOptions>(options =>
        {
            options.ServiceId = cluster.ServiceId;
            options.ClusterId = cluster.ClusterId;
        });
        silo.Configure<GrainCollectionOptions>(options =>
        {
            var idle = configuration.GetSection(SessionOptions.Section).Get<SessionOptions>()?.ActivationIdleTime ?? new SessionOptions().ActivationIdleTime;
            options.ClassSpecificCollectionAge[typeof(SessionGrain).FullName!] = idle;
        });

        if (cluster.IsStandalone)
        {
            silo.UseLocalhostClustering(cluster.SiloPort, cluster.GatewayPort, serviceId: cluster.ServiceId, clusterId: cluster.ClusterId);
            var dataPath = Path.Combine(contentRoot, cluster.DataPath);
            silo.Services.AddGrainStorage(SessionStorage.Name, (services, name) => new SqliteGrainStorage(
                name,
                new SqliteStorageOptions { FilePath = Path.Combine(dataPath, "sessions.db") },
                ActivatorUtilities.CreateInstance<OrleansGrainStorageSerializer>(services),
                services.GetRequiredService<TimeProvider>(),
                services.GetRequiredService<ILogger<SqliteGrainStorage>>()));
            silo.UseInMemoryReminderService();
        }
        else
        {
            var redis = RedisConnection.Options(cluster.Redis!);
            silo.ConfigureEndpoints(IPAddress.Parse(cluster.AdvertisedAddress), cluster.SiloPort, cluster.GatewayPort, listenOnAnyHostAddress: false);
            silo.UseRedisClustering(options => options.ConfigurationOptions = redis.Clone());
            silo.ConfigureFailureDetection(configuration);
            silo.AddRedisGrainStorage(SessionStorage.Name, options =>
            {
                options.ConfigurationOptions = redis.Clone();
            });
            silo.Services.AddOptions<Orleans.Persistence.RedisStorageOptions>(SessionStorage.Name)
                .Configure<IServiceProvider>((options, services) => options.GrainStorageSerializer = ActivatorUtilities.CreateInstance<OrleansGrainStorageSerializer>(services));
            silo.UseRedisReminderService(options => options.ConfigurationOptions = redis.Clone());
        }
        return silo;
    }

    /// <summary>Binds and validates <see cref="SessionOptions"/>; both hosts call it.</summary>
    public static IServiceCollection AddSessionOptions(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<SessionOptions>()
            .Bind(configuration.GetSection(SessionOptions.Section))
            .Validate(options => options.Validate() is null, "Invalid Sessions configuration; see SessionOptions.Validate.")
            .ValidateOnStart();
        return services;
    }

    private static void TryAddClock(this IServiceCollection services)
    {
        if (services.All(d => d.ServiceType != typeof(TimeProvider))) services.AddSingleton(TimeProvider.System);
    }
}
