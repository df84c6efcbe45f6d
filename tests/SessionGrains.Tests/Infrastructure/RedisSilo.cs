using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SessionGrains.Hosting;

namespace SessionGrains.Tests.Infrastructure;

/// <summary>One cluster-mode silo in the test process, configured exactly as the Silo host, on a real redis-server.</summary>
public static class RedisSilo
{
    /// <summary>Starts the silo on free loopback ports, with a cluster and service id of its own unless given.</summary>
    public static async Task<IHost> Start(RedisServer redis, string name, string? clusterId = null, string? serviceId = null)
    {
        var ports = FreePorts.Take(2);
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Cluster:Redis"] = redis.ConnectionString,
            ["Cluster:ClusterId"] = clusterId ?? $"{name}-{Guid.NewGuid():N}",
            ["Cluster:ServiceId"] = serviceId ?? $"{name}-{Guid.NewGuid():N}",
            ["Cluster:SiloPort"] = ports[0].ToString(),
            ["Cluster:GatewayPort"] = ports[1].ToString(),
        });
        builder.UseOrleans(silo => silo.AddSessionSilo(builder.Configuration, Path.GetTempPath()));
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }
}
