using Microsoft.Extensions.DependencyInjection.Extensions;
using Orleans.Dashboard;
using SessionGrains.Hosting;

namespace SessionGrains.Client.Dashboard;

/// <summary>
/// The Orleans Dashboard at <c>/dashboard</c>: silos, their activations, and the session grains each one holds.
/// Every silo adds the dashboard (<see cref="SiloConfiguration"/>), which collects its statistics in the cluster.
/// The UI and its JSON API run in the front end: with the co-hosted silo in standalone mode, and as an Orleans
/// client of the silos in cluster mode (the package supports client hosting), so no silo port is ever exposed.
/// </summary>
public static class DashboardEndpoints
{
    public const string Path = "/dashboard";

    public static WebApplicationBuilder AddSessionDashboard(this WebApplicationBuilder builder, SessionClusterOptions cluster)
    {
        // Standalone: the co-hosted silo registered the dashboard already. Cluster: reuses the front end's Orleans client.
        if (!cluster.HostsSilo) builder.UseOrleansClient(client => client.AddDashboard());
        builder.Services.AddOptions<DashboardAccessOptions>().Bind(builder.Configuration.GetSection(DashboardAccessOptions.Section))
            .Validate(o => o.CookieLifetime > TimeSpan.Zero, "Dashboard:CookieLifetime must be positive.")
            .ValidateOnStart();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<DashboardCookie>();
        builder.Services.AddSingleton<DashboardAccessFilter>();
        return builder;
    }

    public static IEndpointRouteBuilder MapSessionDashboard(this IEndpointRouteBuilder routes)
    {
        routes.MapOrleansDashboard(Path)
            .AddEndpointFilter(routes.ServiceProvider.GetRequiredService<DashboardAccessFilter>())
            .ExcludeFromDescription();
        return routes;
    }
}
