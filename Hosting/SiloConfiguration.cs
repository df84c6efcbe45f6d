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
using SessionGrains.Grains.Placement;
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
        // A gateway in this process calls its sessions here without Orleans' messaging, unless spans follow every call.
        else silo.Services.AddSingleton<LocalSessionGrains>();
        silo.Configure<ClusterOptions>(options =>
        {
            options.ServiceId = cluster.ServiceId;
            options.ClusterId = cluster.ClusterId;
        });
        silo.Services.AddOptions<GrainCollectionOptions>().Configure<IOptions<SessionRules>>((options, sessions) =>
            options.ClassSpecificCollectionAge[TelemetryNames.SessionGrainClass] = sessions.Value.ActivationIdleTime);

        // Every silo feeds the Orleans Dashboard (silos, activations per silo); the front end serves it at /dashboard.
        silo.AddDashboard();
        // Its counters without the readings that walk every session, nor instruments recorded on every message.
        DashboardFeed.Replace(silo.Services, configuration);
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
            // Storage failures reach the caller as themselves (503), not as an exception Orleans cannot serialize.
            silo.Services.AddRedisExceptionSerialization();
            // The front ends' entry on each silo: calls reach the silo that hosts the session without a second hop.
            silo.AddGrainService<SessionRouterService>();
            // Live sessions move to a silo that joins, and away from a silo that stops (SessionRehoming).
            silo.Services.AddSessionPlacement(configuration);
            // Session grains are registered in Redis, so a silo leaving deactivates none but its own (Hosting/SessionDirectory.cs).
            if (SessionDirectory.UsesRedis(configuration)) silo.AddRedisSessionDirectory(redis);
            // Opt-in: Orleans' distributed grain directory (experimental, ORLEANSEXP003) as the default directory, which
            // hands a leaving silo's partitions over. Off by default: with it, writes waited up to 26 s after a SIGKILL
            // here (ARCHITECTURE.md, "Elastic placement").
#pragma warning disable ORLEANSEXP003
            if (configuration.GetValue(DistributedDirectoryKey, false)) silo.AddDistributedGrainDirectory();
#pragma warning restore ORLEANSEXP003
            silo.ConfigureFailureDetection(configuration);
            // A silo whose port refuses connections is declared dead at once, not after its missed probes.
            silo.AddPeerDeathWatch(configuration);
            // Each record expires at its own purge time (ExpiringRedisStorage), not after one fixed time for all.
            ExpiringRedisStorage.AddExpiringRedisStorage(silo.Services, SessionStorage.Name, redis, ReplicaAcks.Read(configuration, redis), RedisWriteBatches.Enabled(configuration));
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

    /// <summary>Cluster mode: where sessions belong (<see cref="SiloHomes"/>), rebalancing on joins and the drain on SIGTERM.</summary>
    public static IServiceCollection AddSessionPlacement(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<SessionPlacementOptions, SessionPlacementOptionsValidator>(configuration, SessionPlacementOptions.Section);
        services.AddSingleton<SiloHomes>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<SiloHomes>());
        services.AddSingleton<ILocalSessionHomes>(sp => sp.GetRequiredService<SiloHomes>()); // a combined node's front end
        services.AddSingleton<SiloWarmUp>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<SiloWarmUp>());
        services.AddSingleton<SessionRehoming>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<SessionRehoming>());
        // The host waits for the drain, and for Orleans to leave membership after it.
        services.AddOptions<HostOptions>().Configure<IOptions<SessionPlacementOptions>>((host, placement) =>
        {
            var needed = placement.Value.DrainTimeout + AfterDrain;
            if (host.ShutdownTimeout < needed) host.ShutdownTimeout = needed;
        });
        return services;
    }

    /// <summary>Configuration key that turns Orleans' experimental distributed grain directory on (<c>true</c>) in cluster mode.</summary>
    public const string DistributedDirectoryKey = "Cluster:Placement:DistributedDirectory";

    /// <summary>What a silo's host allows, after the drain, for leaving membership and deactivating what is left.</summary>
    public static readonly TimeSpan AfterDrain = TimeSpan.FromSeconds(20);

    /// <summary>What the grains need besides Orleans: a clock and the service's metrics.</summary>
    public static IServiceCollection AddSessionGrainServices(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddMetrics();
        services.TryAddSingleton<SessionMetrics>();
        // Creations write a session's first state without activating it (the grain comes at the session's first call).
        services.TryAddSingleton<ISessionCreator, SessionCreator>();
        return services;
    }

    /// <summary>
    /// The embedded durable storage of standalone mode: one SQLite file, Orleans' binary serializer. Session grains store
    /// their fields in the same file through the same writer (<see cref="ISessionStore"/>).
    /// </summary>
    public static IServiceCollection AddSqliteSessionStorage(this IServiceCollection services, string filePath, int? maxQueuedWrites = null)
    {
        services.TryAddSingleton<SessionRecord>();
        services.AddGrainStorage(SessionStorage.Name, (provider, name) => new SqliteGrainStorage(
            name,
            new SqliteStorageOptions { FilePath = filePath, MaxQueuedWrites = maxQueuedWrites ?? new SqliteStorageOptions().MaxQueuedWrites },
            ActivatorUtilities.CreateInstance<OrleansGrainStorageSerializer>(provider),
            provider.GetRequiredService<TimeProvider>(),
            provider.GetRequiredService<ILogger<SqliteGrainStorage>>(),
            provider.GetRequiredService<SessionRecord>()));
        services.AddSingleton<ISessionStore>(provider => (SqliteGrainStorage)provider.GetRequiredKeyedService<IGrainStorage>(SessionStorage.Name));
        return services;
    }
}
