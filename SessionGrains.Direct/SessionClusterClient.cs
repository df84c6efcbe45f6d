using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;
using Microsoft.Extensions.Hosting;

namespace SessionGrains.Direct;

/// <summary>
/// The Orleans client wiring of every process that calls session grains from outside the silos: the front end in
/// cluster mode, and an app using the drop-in session store as a client of the cluster.
/// </summary>
public static class SessionClusterClient
{
    /// <summary>
    /// Finds the silos through Redis (<paramref name="redis"/>, StackExchange.Redis syntax) as cluster
    /// <paramref name="clusterId"/> of service <paramref name="serviceId"/>, tuned to ride out a silo failure
    /// (<see cref="ClusterClientTuning"/>; overrides from <paramref name="configuration"/> when given).
    /// </summary>
    public static IClientBuilder UseSessionCluster(this IClientBuilder client, string redis, string clusterId, string serviceId, IConfiguration? configuration = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(redis);
        client.Configure<ClusterOptions>(options =>
        {
            options.ServiceId = serviceId;
            options.ClusterId = clusterId;
        });
        client.UseRedisClustering(options => options.ConfigurationOptions = RedisConnection.Options(redis));
        client.Services.AddRedisExceptionSerialization();
        return client.ConfigureFailover(configuration);
    }

    /// <summary>
    /// Routes each session's calls to the silo that hosts it (<see cref="SessionRouting"/>), so a call takes one hop;
    /// the caller refreshes the routes when the client's gateway count changes (<see cref="SessionRouting.RefreshSoon"/>).
    /// </summary>
    public static IServiceCollection AddSessionRouting(this IServiceCollection services)
    {
        services.AddSingleton<ClientGatewayView>();
        services.AddSingleton<SessionRouting>();
        services.AddHostedService(provider => provider.GetRequiredService<SessionRouting>());
        return services;
    }
}
