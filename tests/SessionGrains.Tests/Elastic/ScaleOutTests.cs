using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using SessionGrains.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace SessionGrains.Tests.Elastic;

[Collection(ElasticCollection.Name)]
public sealed class ScaleOutTests(LocalCluster cluster, ITestOutputHelper output)
{
    private const int Sessions = 3000;

    [Fact]
    public async Task A_silo_that_joins_under_load_gets_its_share_of_live_sessions_within_a_minute_and_no_request_fails()
    {
        List<HttpClient> clients = [cluster.CreateClient(1), cluster.CreateClient(2)];
        var sessions = await ClusterProbe.CreateSessions(clients, Sessions);
        var reads = new ConcurrentQueue<(long At, double Ms)>();
        var failures = new ConcurrentQueue<string>();
        using var stop = new CancellationTokenSource();
        var readers = Enumerable.Range(0, 12).Select(worker => Task.Run(async () =>
        {
            for (var i = worker; !stop.IsCancellationRequested; i += 12)
            {
                var started = Stopwatch.GetTimestamp();
                try
                {
                    using var response = await new SessionApi(clients[i % 2]).Send(HttpMethod.Get, "/sessions/current", sessions[i % Sessions].Token);
                    if (response.StatusCode != HttpStatusCode.OK) failures.Enqueue($"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                {
                    failures.Enqueue(ex.Message);
                }
                reads.Enqueue((started, ClusterProbe.Ms(started)));
            }
        })).ToList();

        var joined = 0L;
        var balancedAfter = TimeSpan.Zero;
        IReadOnlyList<(string Silo, int Sessions)> silos = [];
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(5));
            output.WriteLine($"before: {Describe(await ClusterProbe.ActiveSilos(cluster, clients[0]))}");
            joined = Stopwatch.GetTimestamp();
            await cluster.StartSilo(4);
            var deadline = Stopwatch.GetTimestamp() + Stopwatch.Frequency * 60;
            while (Stopwatch.GetTimestamp() < deadline)
            {
                silos = await ClusterProbe.ActiveSilos(cluster, clients[0]);
                if (silos.Count == 4 && silos.All(s => Math.Abs(s.Sessions - silos.Average(x => x.Sessions)) <= 0.25 * silos.Average(x => x.Sessions)))
                {
                    balancedAfter = Stopwatch.GetElapsedTime(joined);
                    break;
                }
                await Task.Delay(500);
            }
            output.WriteLine($"after {Stopwatch.GetElapsedTime(joined).TotalSeconds:F1} s: {Describe(silos)}");
            // Keep reading for a while after the balance: moves must not leave failures behind them.
            await Task.Delay(TimeSpan.FromSeconds(3));
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(readers).WaitAsync(TimeSpan.FromSeconds(60));
            clients.ForEach(c => c.Dispose());
        }

        var moved = 0.0;
        for (var n = 1; n <= 3; n++) moved += await ClusterProbe.Counter(cluster, n, "sessiongrains_sessions_moves_total", "direction=\"out\"");
        var arrivedReads = await ClusterProbe.Counter(cluster, 4, "sessiongrains_sessions_state_reads_total");
        var all = reads.ToArray();
        var before = all.Where(r => r.At < joined).Select(r => r.Ms);
        var during = all.Where(r => r.At >= joined).Select(r => r.Ms);
        output.WriteLine($"{all.Length} reads, {failures.Count} failed; p99 {ClusterProbe.P99(before):F1} ms before the join, {ClusterProbe.P99(during):F1} ms from the join on (silo start-up included)");
        output.WriteLine($"balanced (every silo within 25% of the mean) {balancedAfter.TotalSeconds:F1} s after the 4th silo was started; {moved} sessions moved live; the new silo read {arrivedReads} states from storage");
        foreach (var failure in failures.Take(10)) output.WriteLine(failure);

        await cluster.DrainSilo(4);
        Assert.True(balancedAfter > TimeSpan.Zero, $"not balanced within 60 s: {Describe(silos)}");
        Assert.Empty(failures);
        Assert.True(moved >= Sessions / 8, $"only {moved} sessions moved live");
    }

    private static string Describe(IReadOnlyList<(string Silo, int Sessions)> silos) => string.Join(", ", silos.Select(s => $"{s.Silo}: {s.Sessions}"));
}
