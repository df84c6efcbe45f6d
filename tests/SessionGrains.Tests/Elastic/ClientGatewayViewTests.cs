using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;
using SessionGrains.Client.Sessions;
using SessionGrains.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace SessionGrains.Tests.Elastic;

/// <summary>
/// The front end routes a session only to a gateway its Orleans client counts as live (a call addressed to any other
/// waits out the response timeout). These tests run a real Orleans client against the local cluster and check that
/// <see cref="ClientGatewayView"/> follows the client's own view, through a silo stopping and coming back on its port.
/// </summary>
[Collection(ElasticCollection.Name)]
public sealed class ClientGatewayViewTests(LocalCluster cluster, ITestOutputHelper output)
{
    private const int Restarted = 2;

    [Fact]
    public async Task The_view_follows_the_clients_live_gateways_through_a_silo_restart_on_the_same_port()
    {
        using var host = cluster.BuildClient(client =>
        {
            client.Configure<GatewayOptions>(options => options.GatewayListRefreshPeriod = TimeSpan.FromSeconds(1));
            client.Services.AddSingleton<ClientGatewayView>();
        });
        // Created before the client starts, as the front end's is, so that it sees the client's first report.
        using var view = host.Services.GetRequiredService<ClientGatewayView>();
        Assert.False(view.Reporting);
        await host.StartAsync();
        try
        {
            var gateways = Enumerable.Range(1, cluster.SiloCount).Select(cluster.SiloGateway).ToList();
            Assert.True(view.Reporting, "the client reported no gateway list at start");
            Assert.All(gateways, g => Assert.True(view.Admits(g), $"gateway {g} not admitted at start"));
            Assert.False(view.Admits(new IPEndPoint(IPAddress.Loopback, 1)), "a gateway that is not in the cluster was admitted");

            // The client must be using the gateway for its connection to fail when the silo stops.
            var grains = host.Services.GetRequiredService<IGrainFactory>();
            var management = grains.GetGrain<IManagementGrain>(0);
            await management.GetHosts(onlyActive: true);

            var stopped = Stopwatch.StartNew();
            await cluster.StopSilo(Restarted);
            await Eventually(() => !view.Admits(gateways[Restarted - 1]), TimeSpan.FromSeconds(20), "the stopped silo's gateway is still admitted");
            output.WriteLine($"gateway of the stopped silo left out {stopped.Elapsed.TotalSeconds:F1} s after the stop began");

            var started = Stopwatch.StartNew();
            await cluster.StartSilo(Restarted);
            output.WriteLine($"silo {Restarted} ready again on the same gateway port after {started.Elapsed.TotalSeconds:F1} s");
            await Eventually(() => view.Admits(gateways[Restarted - 1]), TimeSpan.FromSeconds(30), "the restarted silo's gateway is never admitted again");
            output.WriteLine($"gateway admitted again {started.Elapsed.TotalSeconds:F1} s after the start command");
            Assert.All(gateways, g => Assert.True(view.Admits(g)));
        }
        finally
        {
            await host.StopAsync();
            await cluster.WaitReady();
        }
    }

    private static async Task Eventually(Func<bool> condition, TimeSpan within, string failure)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(deadline.Elapsed < within, failure);
            await Task.Delay(50);
        }
    }
}
