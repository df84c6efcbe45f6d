using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace SessionGrains.SignalR;

/// <summary>
/// <c>services.AddSignalR().AddSessionGrains()</c>. Needs an Orleans client of a SessionGrains cluster (or a co-hosted
/// silo) in the same container, and the <c>Tokens</c> settings the front end uses, so session tokens are checked alike.
/// </summary>
public static class SessionGrainsSignalRBuilderExtensions
{
    /// <summary>Every hub of the app on grains.</summary>
    public static ISignalRServerBuilder AddSessionGrains(this ISignalRServerBuilder signalR, Action<SessionGrainsHubOptions>? configure = null)
    {
        AddShared(signalR.Services, configure);
        signalR.Services.AddSingleton(typeof(HubLifetimeManager<>), typeof(SessionGrainsHubLifetime<>));
        return signalR;
    }

    /// <summary>Only <typeparamref name="THub"/> on grains; other hubs keep their lifetime manager.</summary>
    public static ISignalRServerBuilder AddSessionGrains<THub>(this ISignalRServerBuilder signalR, Action<SessionGrainsHubOptions>? configure = null) where THub : Hub
    {
        AddShared(signalR.Services, configure);
        signalR.Services.AddSingleton<HubLifetimeManager<THub>, SessionGrainsHubLifetime<THub>>();
        return signalR;
    }

    private static void AddShared(IServiceCollection services, Action<SessionGrainsHubOptions>? configure)
    {
        var options = services.AddOptions<SessionGrainsHubOptions>().BindConfiguration(SessionGrainsHubOptions.Section).ValidateOnStart();
        if (configure is not null) options.Configure(configure);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SessionGrainsHubOptions>, SessionGrainsHubOptionsValidator>());
        if (services.Any(d => d.ServiceType == typeof(HubDelivery))) return;
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<SessionTokens>();
        services.AddSingleton<HubCalls>();
        services.AddSingleton<HubPayloads>();
        services.AddSingleton<HubRecipients>();
        services.AddSingleton<HubDelivery>();
        services.AddHostedService(provider => provider.GetRequiredService<HubDelivery>());
        // The Orleans client calls every registered handler when its set of gateways changes: a silo came or went.
        services.AddSingleton<GatewayCountChangedHandler>(provider => (_, _) => provider.GetRequiredService<HubDelivery>().RenewSoon());
    }
}
