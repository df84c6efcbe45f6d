using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;

namespace SessionGrains.Direct;

/// <summary>
/// How the front end (an Orleans client) rides out a silo failure in cluster mode. Any property of Orleans'
/// <see cref="GatewayOptions"/> or <see cref="ClientMessagingOptions"/> can be overridden under <c>Cluster:Gateway</c>
/// or <c>Cluster:ClientMessaging</c> with its Orleans name, e.g. <c>Cluster__ClientMessaging__ResponseTimeout=00:00:05</c>.
/// </summary>
public static class ClusterClientTuning
{
    public const string GatewaySection = "Cluster:Gateway";
    public const string MessagingSection = "Cluster:ClientMessaging";

    /// <summary>
    /// Period of reading the gateway list from the membership table. A gateway whose connection failed is skipped
    /// until a refresh after this period (Orleans' default: one minute), so after silo restarts a front end could be
    /// left on one gateway, and one more silo failure would then stall every call it has in flight.
    /// </summary>
    public static readonly TimeSpan GatewayListRefreshPeriod = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long a grain call waits for its answer (Orleans' default: 30 s; expiry is checked once a second, so a call
    /// fails 3-4 s after it was sent). A call already sent to a silo that dies is never answered, so this bounds how
    /// long it hangs; longer than the ~2 s in which a killed silo is declared dead, so a retry finds the session
    /// reactivated. Healthy calls take milliseconds; the Redis command timeout is also 3 s.
    /// </summary>
    public static readonly TimeSpan ResponseTimeout = TimeSpan.FromSeconds(3);

    private static readonly IConfiguration Empty = new ConfigurationBuilder().Build();

    /// <summary>Applies the values above, then any overrides from <c>configuration</c>, validated at start-up.</summary>
    public static IClientBuilder ConfigureFailover(this IClientBuilder client, IConfiguration? configuration = null)
    {
        client.Services.AddOptions<GatewayOptions>()
            .Configure(options => options.GatewayListRefreshPeriod = GatewayListRefreshPeriod)
            .Bind(configuration?.GetSection(GatewaySection) ?? Empty)
            .Validate(options => options.GatewayListRefreshPeriod > TimeSpan.Zero, "Cluster:Gateway:GatewayListRefreshPeriod must be positive.")
            .ValidateOnStart();
        client.Services.AddOptions<ClientMessagingOptions>()
            .Configure(options => options.ResponseTimeout = ResponseTimeout)
            .Bind(configuration?.GetSection(MessagingSection) ?? Empty)
            .Validate(options => options.ResponseTimeout > TimeSpan.Zero, "Cluster:ClientMessaging:ResponseTimeout must be positive.")
            .ValidateOnStart();
        return client;
    }
}
