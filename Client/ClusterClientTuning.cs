using Orleans.Configuration;

namespace SessionGrains.Client;

/// <summary>
/// How quickly the front end (an Orleans client) notices gateways come back. A gateway whose connection failed is
/// skipped until the gateway list is refreshed after <see cref="GatewayOptions.GatewayListRefreshPeriod"/>
/// (Orleans' default: one minute), so after silo restarts a front end can be left on one gateway, and then a single
/// silo failure stalls every call it has in flight. Overridable under <c>Cluster:Gateway</c> with Orleans' names,
/// e.g. <c>Cluster__Gateway__GatewayListRefreshPeriod=00:00:10</c>.
/// </summary>
public static class ClusterClientTuning
{
    public const string Section = "Cluster:Gateway";

    /// <summary>Period of reading the gateway list from the membership table; a restarted silo is used again within it.</summary>
    public static readonly TimeSpan GatewayListRefreshPeriod = TimeSpan.FromSeconds(5);

    /// <summary>Applies the period above, then any overrides from <c>Cluster:Gateway</c>, validated at start-up.</summary>
    public static IClientBuilder ConfigureGatewayRefresh(this IClientBuilder client, IConfiguration configuration)
    {
        client.Services.AddOptions<GatewayOptions>()
            .Configure(options => options.GatewayListRefreshPeriod = GatewayListRefreshPeriod)
            .Bind(configuration.GetSection(Section))
            .Validate(options => options.GatewayListRefreshPeriod > TimeSpan.Zero, "Cluster:Gateway:GatewayListRefreshPeriod must be positive.")
            .ValidateOnStart();
        return client;
    }
}
