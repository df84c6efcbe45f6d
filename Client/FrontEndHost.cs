using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;
using SessionGrains.Client.Admin;
using SessionGrains.Client.Chat;
using SessionGrains.Client.Dashboard;
using SessionGrains.Client.Hubs;
using SessionGrains.Client.Jobs;
using SessionGrains.Client.Operations;
using SessionGrains.Client.Security;
using SessionGrains.Client.Sessions;
using SessionGrains.Client.Sockets;
using SessionGrains.Client.Standalone;
using SessionGrains.Hosting;

namespace SessionGrains.Client;

/// <summary>
/// The front end. Standalone (no <c>Cluster:Redis</c>): one silo co-hosted in this process with SQLite storage.
/// Cluster: an Orleans client of the silos found through Redis; or, with <c>Cluster:CoHostSilo</c>, a combined node that
/// runs a silo of the cluster itself.
/// </summary>
public static class FrontEndHost
{
    /// <param name="configure">Last changes to the builder before it is built (tests add in-memory exporters here).</param>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(ShippedSettings.HostArguments(args)).UseShippedSettings();
        var cluster = builder.Configuration.ReadClusterOptions();

        if (cluster.IsStandalone) builder.Configuration.AddStandaloneSecrets(Path.Combine(builder.Environment.ContentRootPath, cluster.DataPath));
        if (cluster.HostsSilo)
        {
            // Standalone, or a combined node: a silo of the cluster in this process, so calls to its sessions take no network hop.
            builder.UseOrleans(silo => silo.AddSessionSilo(builder.Configuration, builder.Environment.ContentRootPath));
        }
        else
        {
            builder.UseOrleansClient(client =>
            {
                client.AddSessionClient(builder.Configuration, cluster);
                client.AddGatewayCountChangedHandler(services => (_, _) =>
                {
                    var routing = services.GetRequiredService<SessionRouting>();
                    routing.RefreshSoon();
                    routing.CheckGateways();
                    services.GetRequiredService<SessionFeeds>().ResubscribeAll();
                });
            });
            builder.Services.AddSessionRouting();
            // New sessions are written to Redis from here; their first call activates them on their home silo.
            SessionStoreConnections.AddFrontEndCreations(builder.Services, builder.Configuration, cluster);
        }

        AddFrontEnd(builder);
        builder.AddChat(); // Example chat on SessionGrains.SignalR: Client/Chat/ChatWiring.cs
        builder.AddSessionDashboard(cluster); // Dashboard: Client/Dashboard/DashboardEndpoints.cs
        builder.AddSessionTelemetry(cluster.IsStandalone ? "session-grains" : cluster.CoHostSilo ? "session-grains-node" : "session-grains-frontend");
        configure?.Invoke(builder);
        var app = builder.Build();
        app.UseTrustedProxies();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseFrontEndDrain();
        app.UseAbuseDefences();
        app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = app.Services.GetRequiredService<IOptions<SessionSocketOptions>>().Value.KeepAliveInterval });
        app.UseSessionHubGate(); // Session hub: Client/Hubs/SessionHubGate.cs
        app.UseDefaultFiles();
        app.UseStaticFiles();
        app.MapOpenApi();
        app.MapPrometheusScrapingEndpoint();
        app.MapHealthEndpoints();
        app.MapSessionEndpoints();
        app.MapLeaseEndpoints(); // Request leases: Client/Sessions/LeaseEndpoints.cs
        app.MapJobEndpoints(); // Session jobs: Client/Jobs/JobEndpoints.cs
        app.MapSessionHub(); // /hubs/session: Client/Hubs/SessionHub.cs
        app.MapAdminEndpoints();
        app.MapSessionDashboard(); // Dashboard
        app.MapChat(); // Example chat
        if (cluster.IsStandalone) AnnounceWhenStarted(app);
        return app;
    }

    private static void AddFrontEnd(WebApplicationBuilder builder)
    {
        var services = builder.Services;
        var configuration = builder.Configuration;
        services.AddSessionOptions(configuration);
        services.AddValidatedOptions<FrontEndOptions, FrontEndOptionsValidator>(configuration, FrontEndOptions.Section);
        services.AddValidatedOptions<TokenOptions, TokenOptionsValidator>(configuration, TokenOptions.Section);
        services.AddOptions<AdminOptions>().Bind(configuration.GetSection(AdminOptions.Section));
        services.AddSingleton<FrontEndMetrics>();
        services.AddSingleton<ISessionCallMetrics>(provider => provider.GetRequiredService<FrontEndMetrics>());
        services.AddOptions<SessionCallOptions>().Configure<IOptions<FrontEndOptions>>((calls, frontEnd) =>
        {
            calls.CallDeadline = frontEnd.Value.CallDeadline;
            calls.FirstRetryDelay = frontEnd.Value.FirstRetryDelay;
            calls.MaxRetryDelay = frontEnd.Value.MaxRetryDelay;
        });
        services.AddSingleton<FrontEndDrain>();
        services.AddSingleton<SessionTokens>();
        services.AddSingleton<ApiKeyCheck>();
        services.AddSingleton<SessionGateway>();
        services.AddJobOptions(configuration).AddSingleton<Jobs.JobGateway>(); // Session jobs
        services.AddValidatedOptions<SessionSocketOptions, SessionSocketOptionsValidator>(configuration, SessionSocketOptions.Section);
        services.AddSingleton<SessionFeeds>();
        services.AddSingleton<SocketCapacity>();
        services.AddHostedService(services => services.GetRequiredService<SessionFeeds>());
        services.AddSessionHub();
        services.AddProblemDetails();
        services.AddFrontEndSecurity(configuration);
        services.AddExceptionHandler<GrainFailureHandler>();
        services.AddOpenApi();
        services.AddOptions<Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions>()
            .Configure<IOptions<FrontEndOptions>>((kestrel, frontEnd) => kestrel.Limits.MaxRequestBodySize = frontEnd.Value.MaxRequestBodyBytes);
    }

    /// <summary>Prints where the standalone service listens and its API key, once Kestrel is up.</summary>
    private static void AnnounceWhenStarted(WebApplication app) =>
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            var addresses = app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
            var apiKey = app.Services.GetRequiredService<IOptions<AdminOptions>>().Value.ApiKey;
            Console.WriteLine($"SessionGrains (standalone) listening on {string.Join(", ", addresses)}");
            Console.WriteLine($"API key (X-Api-Key): {apiKey}");
        });
}
