using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using SessionGrains.Direct;
using SessionGrains.Grains;
using SessionGrains.Grains.Storage;
using SessionGrains.Interfaces;
using StackExchange.Redis;

namespace SessionGrains.Hosting;

/// <summary>
/// The Redis connections of a session store, opened on first use: one shared, and with replica acks one more for the
/// session writes that wait for replicas (WAIT blocks the connection it runs on).
/// </summary>
public sealed class SessionStoreConnections(ConfigurationOptions redis, ReplicaAcks acks) : IAsyncDisposable
{
    private readonly Lock _lock = new();
    private Task<IConnectionMultiplexer>? _shared, _writes;

    public Task<IConnectionMultiplexer> Shared()
    {
        lock (_lock) return _shared ??= Open();
    }

    public Task<IConnectionMultiplexer> Writes()
    {
        if (!acks.MayWait) return Shared();
        lock (_lock) return _writes ??= Open();
    }

    private Task<IConnectionMultiplexer> Open() =>
        ConnectionMultiplexer.ConnectAsync(redis.Clone()).ContinueWith(t => (IConnectionMultiplexer)t.Result, TaskScheduler.Default);

    /// <summary>Closes what was opened (a front end's store; a silo's shared connection is closed by Orleans' storage).</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var opened in new[] { _shared, _writes })
        {
            if (opened is { IsCompletedSuccessfully: true }) await opened.Result.DisposeAsync();
        }
    }

    /// <summary>
    /// A split cluster's front end stores new sessions itself (<see cref="ISessionCreator"/>): one Redis round trip from
    /// here, nothing on the silos, which activate the session at its first call. Same Redis, rules
    /// (<c>Sessions</c>) and replica acks (<c>Storage:MinReplicaAcks</c>) as the silos: give both the same settings.
    /// </summary>
    public static IServiceCollection AddFrontEndCreations(IServiceCollection services, IConfiguration configuration, SessionClusterOptions cluster)
    {
        var redis = RedisConnection.Options(cluster.Redis!);
        var acks = ReplicaAcks.Read(configuration, redis);
        var batchWrites = RedisWriteBatches.Enabled(configuration);
        // Made by the container, so that it closes the connections when the host stops.
        services.AddSingleton(_ => new SessionStoreConnections(redis, acks));
        services.TryAddSingleton<SessionRecord>();
        services.AddSingleton<ISessionStore>(provider =>
        {
            var connections = provider.GetRequiredService<SessionStoreConnections>();
            return new RedisSessionStore(
                connections.Shared(),
                connections.Writes,
                acks,
                cluster.ServiceId,
                provider.GetRequiredService<SessionRecord>(),
                earlier: null,
                provider.GetRequiredService<TimeProvider>(),
                provider.GetRequiredService<IOptions<SessionRules>>().Value.AbsoluteLifetime + TimeSpan.FromDays(1),
                batchWrites);
        });
        return SiloConfiguration.AddSessionGrainServices(services);
    }
}
