using System.Net;
using System.Text.Json;
using SessionGrains.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace SessionGrains.Tests.Cluster;

/// <summary>
/// Combined nodes (<c>local-cluster.sh up --combined</c>, <c>Cluster:CoHostSilo=true</c>): two processes, each a front end
/// with a silo of the cluster in it, and Redis; no other silo. A session lives on the silo of the node that created it,
/// every node serves every session, and a node's death loses no acknowledged write.
/// </summary>
public sealed class CombinedNodeTests(CombinedNodeTests.CombinedCluster cluster, ITestOutputHelper output) : IClassFixture<CombinedNodeTests.CombinedCluster>, IDisposable
{
    public sealed class CombinedCluster : LocalCluster
    {
        protected override int Silos => 0;

        protected override IReadOnlyList<string> UpArguments => ["--combined"];
    }

    [Fact]
    public async Task A_session_lives_on_the_node_that_created_it_and_every_node_serves_it()
    {
        using var nodes = await ReadyNodes();
        var apis = nodes.Apis;

        for (var i = 0; i < 20; i++)
        {
            var creator = i % 2;
            var other = 1 - creator;
            var session = await apis[creator].Create("""{"data":{"n":0}}""");

            using var placement = await apis[other].Send(HttpMethod.Get, "/sessions/current/placement", session.Token);
            Assert.Equal(HttpStatusCode.OK, placement.StatusCode);
            var silo = JsonDocument.Parse(await placement.Content.ReadAsStringAsync()).RootElement.GetProperty("silo").GetString()!;
            Assert.StartsWith($"127.0.0.1:{cluster.FrontEndSiloPort(creator + 1)}@", silo);

            // A write through the other node, read back through the creator.
            using var increment = await apis[other].Send(HttpMethod.Post, "/sessions/current/counters/n/increment", session.Token);
            Assert.Equal(HttpStatusCode.OK, increment.StatusCode);
            var read = await apis[creator].Get(session.Token);
            Assert.Equal(1, read.GetProperty("data").GetProperty("n").GetInt64());
        }
    }

    [Fact]
    public async Task Creating_a_session_asks_the_directory_nothing_and_the_other_node_still_finds_it()
    {
        using var nodes = await ReadyNodes();
        var apis = nodes.Apis;
        var options = StackExchange.Redis.ConfigurationOptions.Parse(cluster.RedisConnectionString);
        options.AllowAdmin = true; // INFO commandstats
        await using var redis = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(options);
        var server = redis.GetServer(redis.GetEndPoints()[0]);

        // A directory lookup is a GET of the session's directory key. The registration is a script that GETs the key too,
        // and Redis counts the commands a script runs: a create that looks its session up makes 2 GETs, one that does not, 1.
        const int Creates = 20;
        var getsBefore = await Calls(server, "get");
        var sessions = new List<CreatedSession>();
        for (var i = 0; i < Creates; i++) sessions.Add(await apis[i % 2].Create("""{"data":{"n":1}}"""));
        var gets = await Calls(server, "get") - getsBefore;
        output.WriteLine($"{Creates} creates: {gets} GET calls on Redis");
        Assert.True(gets < Creates * 3 / 2, $"{Creates} creates made {gets} GET calls: a new session's placement still looks it up in the directory");

        // Registered all the same: each is found through the node that did not create it.
        for (var i = 0; i < Creates; i++)
        {
            var read = await apis[1 - i % 2].Get(sessions[i].Token);
            Assert.Equal(1, read.GetProperty("data").GetProperty("n").GetInt64());
        }
    }

    private static async Task<long> Calls(StackExchange.Redis.IServer server, string command)
    {
        var stats = (await server.InfoAsync("commandstats")).SelectMany(g => g).FirstOrDefault(p => p.Key == "cmdstat_" + command).Value;
        return stats is null ? 0 : long.Parse(stats.Split(',')[0].Split('=')[1], System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task WebSockets_on_both_nodes_get_every_event_of_a_session_in_order()
    {
        using var nodes = await ReadyNodes();
        // Lives on node 1's silo: node 1's socket is fed inside its process, node 2's across the silos.
        var session = await nodes.Apis[0].Create();
        await ClusterSocketTests.AssertBothFrontEndsSeeEveryEvent(cluster, session.Token, writeThrough: nodes.Two, messageThrough: nodes.One, "from 1", TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task A_SIGKILLed_node_loses_no_acknowledged_write_and_the_other_node_serves_its_sessions()
    {
        const string NodeKill = "node 1 SIGKILL";
        try
        {
            var load = await UnderLoad(NodeKill, () => cluster.KillFrontEnd(1), settle: TimeSpan.FromSeconds(6));

            // Every session, those of the dead node too, holds exactly what was acknowledged (read through the live node).
            await AssertNothingLostOrAppliedTwice(load);
            // Calls cut by the kill are retried under the same idempotency key; none answers a 5xx other than 503.
            Assert.Equal(0, load.ServerErrors);
            load.AssertWorstWaitsWithinBound(NodeKill);
        }
        finally
        {
            await cluster.StartFrontEnd(1);
        }
    }

    [Fact]
    public async Task A_node_stopped_with_SIGTERM_hands_its_sessions_over_and_no_call_fails()
    {
        try
        {
            var load = await UnderLoad("node 1 SIGTERM", () => cluster.StopFrontEnd(1), settle: TimeSpan.FromSeconds(3));

            await AssertNothingLostOrAppliedTwice(load);
            Assert.Equal(0, load.ServerErrors + load.Unavailable);
            // The only call a stop may cut is one the kernel accepted as the listener closed, reset before its request was
            // sent (nothing was applied; FrontEndStopTests allows the same): no call is cut once it reached the node.
            Assert.Equal(load.ResetUnsent, load.TransportErrors);
            load.AssertWorstWaitsWithinBound();
        }
        finally
        {
            await cluster.StartFrontEnd(1);
        }
    }

    /// <summary>
    /// Sequenced writes on 40 sessions created through both nodes (so half live on node 1) from a client that opens a
    /// connection per call and tries the other node when one refuses; after 3 s, <paramref name="fault"/>; then
    /// <paramref name="settle"/> more. The load is reported and disposed with the test.
    /// </summary>
    private async Task<SequencedLoad> UnderLoad(string fault, Func<Task> act, TimeSpan settle)
    {
        await cluster.WaitReady();
        var load = new SequencedLoad(cluster, sessionCount: 40, pace: TimeSpan.FromMilliseconds(100));
        _loads.Add(load);
        await load.CreateSessions();
        using var stop = new CancellationTokenSource();
        var running = load.Run(stop.Token);
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(3));
            load.Fault(fault);
            await act();
            load.Fault($"after {fault}");
            await Task.Delay(settle);
        }
        finally
        {
            await stop.CancelAsync();
            await running;
        }
        load.Report(output);
        foreach (var failure in load.Failures.Take(10)) output.WriteLine(failure);
        output.WriteLine($"{load.TotalAcknowledged} writes acknowledged; 503: {load.Unavailable}, other 5xx: {load.ServerErrors}, cut: {load.TransportErrors}");
        return load;
    }

    private readonly List<SequencedLoad> _loads = [];

    public void Dispose() => _loads.ForEach(load => load.Dispose());

    /// <summary>Read through node 2, which stays up: every session holds exactly the writes acknowledged to the client.</summary>
    private async Task AssertNothingLostOrAppliedTwice(SequencedLoad load)
    {
        var (lost, extra, mismatches) = await load.CompareWithStorage(frontEnd: 2);
        output.WriteLine($"comparison reads answered 503 and asked again: {load.ComparisonReadsRefused}");
        Assert.True(mismatches.Count == 0, string.Join(Environment.NewLine, mismatches));
        Assert.Equal(0, lost);
        Assert.Equal(0, extra);
    }

    /// <summary>HTTP clients of both nodes and their session APIs.</summary>
    private sealed class Nodes(HttpClient one, HttpClient two) : IDisposable
    {
        public HttpClient One => one;

        public HttpClient Two => two;

        public SessionApi[] Apis { get; } = [new(one), new(two)];

        public void Dispose()
        {
            one.Dispose();
            two.Dispose();
        }
    }

    /// <summary>Clients of both nodes once the cluster is ready and each node sees both silos (only then are ids picked for the local one).</summary>
    private async Task<Nodes> ReadyNodes()
    {
        var nodes = new Nodes(cluster.CreateClient(1), cluster.CreateClient(2));
        await cluster.WaitReady();
        await WaitUntilEveryNodeSeesTwoSilos(nodes.One, nodes.Two);
        return nodes;
    }

    private static async Task WaitUntilEveryNodeSeesTwoSilos(params HttpClient[] nodes)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        foreach (var node in nodes)
        {
            while (true)
            {
                using var ready = await node.GetAsync("/readyz");
                var body = await ready.Content.ReadAsStringAsync();
                if (ready.StatusCode == HttpStatusCode.OK && JsonDocument.Parse(body).RootElement.TryGetProperty("silos", out var silos) && silos.GetInt32() == 2) break;
                Assert.True(DateTime.UtcNow < deadline, $"a node does not see both silos: {body}");
                await Task.Delay(200);
            }
        }
    }
}
