using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using SessionGrains.Direct;
using SessionGrains.Processes;
using SessionGrains.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace SessionGrains.Tests.Cluster;

/// <summary>
/// The early death declaration (Hosting/PeerDeathWatch.cs) acts on a refused connection only. A frozen silo (SIGSTOP: a
/// long GC pause, a hung host) still accepts connections, so it must never be declared dead by it; a killed one refuses
/// at once. <c>FailoverTests</c> checks that killed silos are declared dead this way.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class PeerDeathTests(LocalCluster cluster, ITestOutputHelper output)
{
    private const int Silo = 3;

    [Fact]
    public async Task A_frozen_silo_still_accepts_connections_and_stays_a_member_while_a_killed_one_refuses_at_once()
    {
        var port = cluster.SiloPort(Silo);
        var endpoint = new IPEndPoint(IPAddress.Loopback, port);
        Assert.False(await ConnectionAttempts.Refuses(endpoint, TimeSpan.FromSeconds(1)), "a running silo's port refused a connection");

        using var host = cluster.BuildClient();
        await host.StartAsync();
        var management = host.Services.GetRequiredService<IGrainFactory>().GetGrain<IManagementGrain>(0);
        var frozen = Assert.Single((await management.GetHosts(onlyActive: true)).Keys, s => s.Endpoint.Port == port);

        var pid = cluster.SiloPid(Silo);
        Signals.Send(pid, Signals.Stop);
        try
        {
            // The kernel completes the handshake for a frozen process: not refused, so not declared dead by the watch.
            Assert.False(await ConnectionAttempts.Refuses(endpoint, TimeSpan.FromSeconds(1)), "a frozen silo's port refused a connection");
            await Task.Delay(TimeSpan.FromSeconds(3));
        }
        finally
        {
            Signals.Send(pid, Signals.Cont);
        }

        // The same generation is still an active member once it answers again, and nobody logged it as refusing.
        var hosts = await management.GetHosts(onlyActive: false);
        output.WriteLine(string.Join(", ", hosts.Select(h => $"{h.Key}: {h.Value}")));
        Assert.Equal(SiloStatus.Active, hosts[frozen]);
        await host.StopAsync();
        var logs = string.Concat(cluster.ProcessLogs().Select(File.ReadAllText));
        Assert.DoesNotContain($"PeerDeathWatch[2301] Silo {frozen} refuses", logs);

        await cluster.KillSilo(Silo);
        try
        {
            var refusedAfter = Stopwatch.StartNew();
            while (!await ConnectionAttempts.Refuses(endpoint, TimeSpan.FromSeconds(1)))
            {
                Assert.True(refusedAfter.Elapsed < TimeSpan.FromSeconds(5), "a killed silo's port still accepts connections");
                await Task.Delay(20);
            }
            output.WriteLine($"killed silo's port refused {refusedAfter.ElapsedMilliseconds} ms after the kill command returned");
        }
        finally
        {
            await cluster.StartSilo(Silo);
        }
    }
}
