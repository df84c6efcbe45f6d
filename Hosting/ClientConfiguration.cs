using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Configuration;
using Orleans.Configuration;

namespace SessionGrains.Hosting;

/// <summary>The front end's Orleans client in cluster mode: the silos found through Redis, tuned to ride out a silo failure.</summary>
public static class ClientConfiguration
{
    public static IClientBuilder AddSessionClient(this IClientBuilder client, IConfiguration configuration, SessionClusterOptions cluster)
    {
        client.Configure<ClusterOptions>(options =>
        {
            options.ServiceId = cluster.ServiceId;
            options.ClusterId = cluster.ClusterId;
        });
        client.UseRedisClustering(options => options.ConfigurationOptions = RedisConnection.Options(cluster.Redis!));
        client.ConfigureFailover(configuration);
        if (SessionTelemetry.IsTracing(configuration)) client.AddActivityPropagation();
        return client;
    }
}
