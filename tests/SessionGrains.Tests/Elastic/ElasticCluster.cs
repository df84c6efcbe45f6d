using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using SessionGrains.Tests.Infrastructure;
using Xunit;

namespace SessionGrains.Tests.Elastic;

/// <summary>
/// The elastic-cluster tests share their own local cluster (Redis, 3 silos, 2 front ends), apart from the failure
/// tests': they add, drain and restart silos. Each leaves the cluster with 3 running silos and 2 front ends.
/// They run alone, after the other collections: they hold waits to the bounds (a rolling restart keeps every
/// write under 2 s), and on a 2-core machine a silo starting while another collection's cluster and jobs take the
/// cores spends seconds on start-up and JIT, which measures the test run rather than the product.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ElasticCollection : ICollectionFixture<LocalCluster>
{
    public const string Name = "elastic cluster";
}

/// <summary>What the tests ask the cluster: the balance in /admin/cluster and the silos' Prometheus counters.</summary>
public static class ClusterProbe
{
    /// <summary>Session activations per active silo, from <c>GET /admin/cluster</c>.</summary>
    public static async Task<IReadOnlyList<(string Silo, int Sessions)>> ActiveSilos(LocalCluster cluster, HttpClient http)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/admin/cluster");
        request.Headers.Add("X-Api-Key", cluster.ApiKey);
        using var response = await http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        return [.. body.GetProperty("silos").EnumerateArray()
            .Where(s => s.GetProperty("status").GetString() == "Active")
            .Select(s => (s.GetProperty("address").GetString()!, s.GetProperty("sessionActivations").GetInt32()))];
    }

    /// <summary>The sum of every sample of <paramref name="metric"/> (matching <paramref name="label"/> if given) on silo <paramref name="n"/>; 0 when absent.</summary>
    public static async Task<double> Counter(LocalCluster cluster, int n, string metric, string? label = null)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var text = await http.GetStringAsync(new Uri(cluster.SiloHttpUrl(n), "/metrics"));
        return text.Split('\n')
            .Where(line => line.StartsWith(metric + "{", StringComparison.Ordinal) || line.StartsWith(metric + " ", StringComparison.Ordinal))
            .Where(line => label is null || line.Contains(label, StringComparison.Ordinal))
            .Sum(line => double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture));
    }

    /// <summary>Creates <paramref name="count"/> live sessions (created and called once) through both front ends, 16 at a time.</summary>
    public static async Task<List<CreatedSession>> CreateSessions(IReadOnlyList<HttpClient> clients, int count)
    {
        var sessions = new CreatedSession[count];
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 16 },
            async (i, _) =>
            {
                var api = new SessionApi(clients[i % clients.Count]);
                sessions[i] = await api.Create("""{"data":{"cart":["book"]}}""");
                // A creation stores the session; its first call activates it (these tests move live sessions).
                await api.Get(sessions[i].Token);
            });
        return [.. sessions];
    }

    /// <summary>The 99th percentile of <paramref name="latencies"/> (ms), or 0 when empty.</summary>
    public static double P99(IEnumerable<double> latencies)
    {
        var sorted = latencies.Order().ToArray();
        return sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)(sorted.Length * 0.99))];
    }

    public static double Ms(long since) => Stopwatch.GetElapsedTime(since).TotalMilliseconds;
}
