using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Persistence;
using Orleans.Runtime.Hosting;
using Orleans.Storage;
using SessionGrains.Grains.Storage;
using SessionGrains.Interfaces;
using StackExchange.Redis;

namespace SessionGrains.Hosting;

/// <summary>
/// Orleans' Redis grain storage (jobs, user indexes; sessions of the earlier layout, see <see cref="RedisSessionStore"/>) with a time to live per record: after each write of a state that knows when it may be
/// purged (<see cref="IExpiringState"/>), the key expires at that time (PEXPIREAT), so an abandoned 30-minute session
/// leaves Redis about 46 minutes after its last access instead of after the absolute lifetime plus a day.
/// <para>
/// Why a wrapper rather than a storage of our own: Orleans keeps its tested ETag checks and its stored format, so data
/// written before stays readable. The key is not guessed: this class supplies Orleans' <c>GetStorageKey</c> (the
/// same layout as Orleans' default, <c>{ServiceId}/state/{grain type}/{grain key}/{state name}</c>) and uses the same
/// function itself. The expiry is a second command: if it fails, or the silo dies in between, the key keeps the fixed
/// expiry Orleans set in the write (<see cref="SessionRules.AbsoluteLifetime"/> plus a day), never a shorter one.
/// </para>
/// </summary>
public sealed partial class ExpiringRedisStorage(IGrainStorage inner, Func<string, GrainId, RedisKey> keyOf, Task<IConnectionMultiplexer> connection,
    TimeProvider clock, ILogger<ExpiringRedisStorage> logger) : IGrainStorage, ILifecycleParticipant<ISiloLifecycle>
{
    /// <summary>The least time to live given after a write, so that clock differences never delete what was just stored.</summary>
    public static readonly TimeSpan MinimumTimeToLive = TimeSpan.FromMinutes(1);

    /// <summary>Registers the session storage: Orleans' Redis storage under <paramref name="name"/>, wrapped.</summary>
    public static void AddExpiringRedisStorage(IServiceCollection services, string name, ConfigurationOptions redis, ReplicaAcks acks, bool batchWrites)
    {
        var connections = new SessionStoreConnections(redis, acks);
        services.AddOptions<RedisStorageOptions>(name).Configure<IServiceProvider, IOptions<SessionRules>, IOptions<ClusterOptions>>((options, provider, sessions, cluster) =>
        {
            options.ConfigurationOptions = redis.Clone();
            options.GrainStorageSerializer = ActivatorUtilities.CreateInstance<OrleansGrainStorageSerializer>(provider);
            // The fallback when the per-record expiry below could not be set: no session outlives its absolute lifetime.
            options.EntryExpiry = sessions.Value.AbsoluteLifetime + TimeSpan.FromDays(1);
            options.GetStorageKey = KeyFunction(cluster.Value.ServiceId);
            // One connection for Orleans' commands and the expiries; Orleans closes it when the silo stops.
            options.CreateMultiplexer = async _ => (await connections.Shared(), false);
        });
        services.AddGrainStorage(name, (provider, storageName) => new ExpiringRedisStorage(
            RedisGrainStorageFactory.Create(provider, storageName),
            provider.GetRequiredService<IOptionsMonitor<RedisStorageOptions>>().Get(storageName).GetStorageKey!,
            connections.Shared(),
            provider.GetRequiredService<TimeProvider>(),
            provider.GetRequiredService<ILogger<ExpiringRedisStorage>>()));
        // Session grains store field by field on the same connection; records of the earlier layout are read through the above.
        services.TryAddSingleton<SessionRecord>();
        services.AddSingleton<ISessionStore>(provider => new RedisSessionStore(
            connections.Shared(),
            connections.Writes,
            acks,
            provider.GetRequiredService<IOptions<ClusterOptions>>().Value.ServiceId,
            provider.GetRequiredService<SessionRecord>(),
            provider.GetRequiredKeyedService<IGrainStorage>(name),
            provider.GetRequiredService<TimeProvider>(),
            provider.GetRequiredService<IOptions<SessionRules>>().Value.AbsoluteLifetime + TimeSpan.FromDays(1),
            batchWrites));
    }

    /// <summary>Orleans' default key layout: <c>{serviceId}/state/{grain type}/{grain key}/{state name}</c>, as UTF-8.</summary>
    public static Func<string, GrainId, RedisKey> KeyFunction(string serviceId)
    {
        var prefix = Encoding.UTF8.GetBytes(serviceId + "/state/");
        return (stateName, grainId) =>
        {
            var type = grainId.Type.Value.AsSpan();
            var key = grainId.Key.AsSpan();
            var name = Encoding.UTF8.GetBytes(stateName);
            var bytes = new byte[prefix.Length + type.Length + 1 + key.Length + 1 + name.Length];
            var at = 0;
            prefix.CopyTo(bytes, at);
            at += prefix.Length;
            type.CopyTo(bytes.AsSpan(at));
            at += type.Length;
            bytes[at++] = (byte)'/';
            key.CopyTo(bytes.AsSpan(at));
            at += key.Length;
            bytes[at++] = (byte)'/';
            name.CopyTo(bytes, at);
            return bytes;
        };
    }

    public void Participate(ISiloLifecycle lifecycle) => (inner as ILifecycleParticipant<ISiloLifecycle>)?.Participate(lifecycle);

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) => inner.ReadStateAsync(stateName, grainId, grainState);

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) => inner.ClearStateAsync(stateName, grainId, grainState);

    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        await inner.WriteStateAsync(stateName, grainId, grainState);
        if (grainState.State is not IExpiringState { PurgeAfter: { } purgeAfter }) return;
        var earliest = clock.GetUtcNow() + MinimumTimeToLive;
        var expiry = purgeAfter > earliest ? purgeAfter : earliest;
        var key = keyOf(stateName, grainId);
        try
        {
            await (await connection).GetDatabase().KeyExpireAsync(key, expiry.UtcDateTime);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            // The state is stored; only its early expiry is missing. Failing the write now would leave the grain and
            // storage disagreeing, so the key keeps Orleans' longer expiry and the next write tries again.
            LogExpiryFailed(ex, key.ToString());
        }
    }

    [LoggerMessage(EventId = 2101, Level = LogLevel.Warning, Message = "Could not set the expiry of Redis key {Key}; it keeps the absolute-lifetime expiry")]
    private partial void LogExpiryFailed(Exception ex, string key);
}
