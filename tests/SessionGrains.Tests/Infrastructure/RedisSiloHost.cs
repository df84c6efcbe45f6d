using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using StackExchange.Redis;

namespace SessionGrains.Tests.Infrastructure;

/// <summary>A redis-server of its own, one cluster-mode silo on it (<see cref="RedisSilo"/>), and a test's own connection to the server (admin commands allowed: INFO, KEYS).</summary>
public sealed class RedisSiloHost : IAsyncDisposable
{
    private RedisSiloHost(RedisServer redis, IHost silo, ConnectionMultiplexer connection)
    {
        Redis = redis;
        Silo = silo;
        Connection = connection;
    }

    public RedisServer Redis { get; }

    public IHost Silo { get; }

    public ConnectionMultiplexer Connection { get; }

    public IGrainFactory Grains => Silo.Services.GetRequiredService<IGrainFactory>();

    public IServer Server => Connection.GetServers().Single();

    public static async Task<RedisSiloHost> Start(string name)
    {
        var redis = await RedisServer.Start("always", CancellationToken.None);
        var silo = await RedisSilo.Start(redis, name);
        var connection = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString + ",allowAdmin=true");
        return new RedisSiloHost(redis, silo, connection);
    }

    public async ValueTask DisposeAsync()
    {
        await Connection.DisposeAsync();
        await Silo.StopAsync();
        Silo.Dispose();
        await Redis.DisposeAsync();
    }
}
