using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Configuration;
using SessionGrains.Direct;

namespace SessionGrains.Hosting;

/// <summary>The front end's Orleans client in cluster mode: the silos found through Redis, tuned to ride out a silo failure.</summary>
public static class ClientConfiguration
{
    public static IClientBuilder AddSessionClient(this IClientBuilder client, IConfiguration configuration, SessionClusterOptions cluster)
    {
        client.UseSessionCluster(cluster.Redis!, cluster.ClusterId, cluster.ServiceId, configuration);
        if (SessionTelemetry.IsTracing(configuration)) client.AddActivityPropagation();
        return client;
    }
}
