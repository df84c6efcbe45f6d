using System.Diagnostics;
using System.Text.Json;
using Orleans.Configuration;
using SessionGrains.Hosting;
using SessionGrains.Tests.Infrastructure;
using StackExchange.Redis;
using Xunit;
using Xunit.Abstractions;

namespace SessionGrains.Tests.Elastic;

/// <summary>
/// Session grains are registered in Redis (Hosting/SessionDirectory.cs). A silo killed outright leaves its entries
/// there; calls that find one re-place the session, and the janitor removes the rest once the silo is declared dead.
/// </summary>
[Collection(ElasticCollection.Name)]
public sealed class SessionDirectoryTests(LocalCluster cluster, ITestOutputHelper output)
{
    private const int Killed = 3;

    [Fact]
    public async Task Entries_of_a_killed_silo_are_swept_from_the_directory_and_its_sessions_come_back_elsewhere()
    {
        List<HttpClient> clients = [cluster.CreateClient(1), cluster.CreateClient(2)];
        await using var redis = await ConnectionMultiplexer.ConnectAsync(RedisConnection.Options($"127.0.0.1:{cluster.RedisPort}"));
        try
        {
            var sessions = await ClusterProbe.CreateSessions(clients, 300);
            var active = (await ClusterProbe.ActiveSilos(cluster, clients[0])).Select(s => s.Silo).ToList();
            var victim = active.Single(a => cluster.SiloNumberOf(a) == Killed);
            var before = await EntriesPerSilo(redis);
            output.WriteLine("directory entries per silo before the kill: " + string.Join(", ", before.Select(e => $"{e.Key}: {e.Value}")));
            Assert.True(before.GetValueOrDefault(victim) > 0, $"silo {Killed} ({victim}) holds no session to leave behind");
            Assert.True(active.Sum(before.GetValueOrDefault) >= sessions.Count, $"{active.Sum(before.GetValueOrDefault)} directory entries on live silos for {sessions.Count} sessions");

            var killed = Stopwatch.StartNew();
            await cluster.KillSilo(Killed);
            // Nobody calls the killed silo's sessions: only the janitor can remove their entries.
            Dictionary<string, int> after;
            while ((after = await EntriesPerSilo(redis)).GetValueOrDefault(victim) > 0)
            {
                Assert.True(killed.Elapsed < TimeSpan.FromSeconds(60), $"{after[victim]} entries of the killed silo still in the directory after 60 s");
                await Task.Delay(250);
            }
            output.WriteLine($"the killed silo's {before[victim]} entries were gone {killed.Elapsed.TotalSeconds:F1} s after the SIGKILL " +
                $"(death declared, then {SessionDirectoryJanitor.Settle.TotalSeconds:F0} s settle, then the sweep)");
            foreach (var silo in active.Where(a => a != victim))
            {
                Assert.True(after.GetValueOrDefault(silo) >= before.GetValueOrDefault(silo),
                    $"{silo}'s entries went from {before.GetValueOrDefault(silo)} to {after.GetValueOrDefault(silo)}: a live entry was swept");
            }

            // Every session still answers, with its data: the swept ones are placed again from storage.
            var api = new SessionApi(clients[0]);
            foreach (var session in sessions)
                Assert.Equal("book", (await api.Get(session.Token)).GetProperty("data").GetProperty("cart")[0].GetString());
        }
        finally
        {
            clients.ForEach(c => c.Dispose());
            await cluster.StartSilo(Killed);
            await cluster.WaitReady();
        }
    }

    /// <summary>Session directory entries in Redis, counted by the silo each names ("127.0.0.1:port@generation"); warm-up activations left out.</summary>
    private async Task<Dictionary<string, int>> EntriesPerSilo(ConnectionMultiplexer redis)
    {
        var prefix = SessionDirectory.KeyPrefix(new ClusterOptions { ClusterId = cluster.ClusterId });
        var server = redis.GetServers().Single();
        var database = redis.GetDatabase();
        var counts = new Dictionary<string, int>();
        await foreach (var key in server.KeysAsync(pattern: prefix + "session/*", pageSize: 1000))
        {
            // A starting silo's warm-up activations (SiloWarmUp) hold no session and leave when they are collected.
            if (((string)key!).Contains("warmup--", StringComparison.Ordinal)) continue;
            var value = await database.StringGetAsync(key);
            if (value.IsNullOrEmpty) continue;
            var address = JsonSerializer.Deserialize<GrainAddress>((string)value!)!;
            var silo = address.SiloAddress!.ToParsableString();
            counts[silo] = counts.GetValueOrDefault(silo) + 1;
        }
        return counts;
    }
}
