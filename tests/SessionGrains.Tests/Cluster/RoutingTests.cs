using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using SessionGrains.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace SessionGrains.Tests.Cluster;

/// <summary>
/// One hop per call: every front end sends a session's calls to the silo that hosts it, so reads through any front end
/// cause (almost) no silo-to-silo messages. Without routing, with 3 silos two reads in three would be forwarded.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed partial class RoutingTests(LocalCluster cluster, ITestOutputHelper output)
{
    [Fact]
    public async Task Reads_through_any_front_end_reach_the_hosting_silo_without_a_second_hop()
    {
        using var http1 = cluster.CreateClient(1);
        using var http2 = cluster.CreateClient(2);
        var apis = new[] { new SessionApi(http1), new SessionApi(http2) };
        await cluster.WaitReady();
        // A silo that an earlier test restarted is routed to again once the front ends have re-read the gateway list
        // and stopped suspecting it (seconds): new sessions then land on every silo.
        // Each front end must route to every silo again (it skips a silo for 10 s after a call to it failed), so that
        // both rank the sessions alike: probe sessions created through each front end must land on every silo.
        var silos = new[] { new HashSet<string>(), new HashSet<string>() };
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(40);
        for (var probe = 0; silos.Any(s => s.Count < cluster.SiloCount) && DateTime.UtcNow < deadline; probe++)
        {
            var frontEnd = probe % 2;
            var session = await apis[frontEnd].Create();
            using var placement = await apis[frontEnd].Send(HttpMethod.Get, "/sessions/current/placement", session.Token);
            silos[frontEnd].Add(JsonDocument.Parse(await placement.Content.ReadAsStringAsync()).RootElement.GetProperty("silo").GetString()!);
            if (probe >= 30) await Task.Delay(200);
        }
        Assert.All(silos, s => Assert.Equal(cluster.SiloCount, s.Count));
        // A front end that stopped suspecting a silo just now may still differ from the other for a moment.
        await Task.Delay(TimeSpan.FromSeconds(SessionRoutingSuspectSeconds));
        var sessions = new List<CreatedSession>();
        for (var i = 0; i < 60; i++) sessions.Add(await apis[i % 2].Create("""{"data":{"x":1}}"""));

        // The silos talk to each other all the time (membership probes, the dashboard): measure that background over as
        // long as the reads take, so that only what the reads add is counted.
        var started = DateTime.UtcNow;
        var before = await SiloToSiloRequests();
        const int rounds = 20;
        for (var round = 0; round < rounds; round++)
        {
            await Task.WhenAll(sessions.Select(async (session, i) =>
            {
                using var read = await apis[(round + i) % 2].Send(HttpMethod.Get, "/sessions/current/data/x", session.Token);
                Assert.Equal(HttpStatusCode.OK, read.StatusCode);
            }));
        }
        var during = await SiloToSiloRequests() - before;
        var took = DateTime.UtcNow - started;
        var idleBefore = await SiloToSiloRequests();
        await Task.Delay(took);
        var background = await SiloToSiloRequests() - idleBefore;
        var reads = rounds * sessions.Count;

        output.WriteLine($"{reads} reads through 2 front ends over {cluster.SiloCount} silos in {took.TotalSeconds:F1} s: {during} silo-to-silo requests meanwhile, {background} in as long without reads");
        // Without routing, two reads in three would be forwarded (800 here).
        Assert.True(during - background < reads / 10, $"{during} silo-to-silo requests during {reads} reads, {background} without: calls are being forwarded between silos");
    }

    private const int SessionRoutingSuspectSeconds = 1;

    /// <summary>Requests received from other silos, over all silos, from Orleans' own message counters.</summary>
    private async Task<long> SiloToSiloRequests()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        long total = 0;
        for (var n = 1; n <= cluster.SiloCount; n++)
        {
            var text = await http.GetStringAsync(new Uri(cluster.SiloHttpUrl(n), "/metrics"));
            foreach (Match match in SiloToSiloRequestCount().Matches(text)) total += long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        }
        return total;
    }

    [GeneratedRegex("""^orleans_messaging_received_messages_size_bytes_count\{[^}]*ConnectionDirection="SiloToSilo",MessageDirection="Request"[^}]*\} (\d+)""", RegexOptions.Multiline)]
    private static partial Regex SiloToSiloRequestCount();
}
