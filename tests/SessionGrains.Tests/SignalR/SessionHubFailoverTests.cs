using System.Diagnostics;
using SessionGrains.Tests.Cluster;
using SessionGrains.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace SessionGrains.Tests.SignalR;

/// <summary>
/// <c>/hubs/session</c> with the official .NET client (WebSockets, SkipNegotiation) on a real cluster (Redis, 3 silos,
/// 2 front ends as processes) through SIGKILLs: no acknowledged message lost, none twice, all in order.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class SessionHubFailoverTests(LocalCluster cluster, ITestOutputHelper output)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_client_whose_front_end_was_killed_resumes_on_the_other_with_afterSeq_and_misses_nothing()
    {
        var times = new List<double>();
        for (var run = 1; run <= 3; run++)
        {
            // Alternate which front end dies, so each serves a reconnect.
            var (killed, other) = run % 2 == 1 ? (1, 2) : (2, 1);
            times.Add(await KillFrontEndUnderTraffic(run, killed, other));
        }
        output.WriteLine($"reconnect to first replayed message after a front-end SIGKILL (.NET client): {string.Join(", ", times.Select(t => $"{t:F0} ms"))}");
        Assert.All(times, t => Assert.True(t < 10_000, $"reconnect to first replayed message took {t:F0} ms"));
    }

    [Fact]
    public async Task A_stopping_front_end_ends_its_hub_connections_at_once_and_the_client_resumes_on_the_other()
    {
        using var http2 = cluster.CreateClient(2);
        var session = await new SessionApi(http2).Create();
        var first = await HubClient.Connect(cluster.FrontEndUrls[0], session.Token);
        var writer = new MessageWriter([http2], session.Token, TimeSpan.FromMilliseconds(50));
        try
        {
            await first.WaitForSeq(5, Wait);
            var stopping = Stopwatch.StartNew();
            var stop = cluster.StopFrontEnd(1);
            await first.Closed.WaitAsync(Wait);
            output.WriteLine($"SIGTERM front end 1: hub connection ended after {stopping.ElapsedMilliseconds} ms");
            Assert.True(stopping.Elapsed < TimeSpan.FromSeconds(10), $"the connection ended {stopping.Elapsed} after SIGTERM");
            await stop;

            var seen = first.Seqs;
            await using var resumed = await HubClient.Connect(cluster.FrontEndUrls[1], session.Token, afterSeq: seen[^1]);
            await writer.WaitForAcknowledgedAbove(seen[^1] + 10, Wait);
            var last = await writer.Stop();
            await resumed.WaitForSeq(last, Wait);
            DeliveryAssert.EveryAcknowledgedEventOnceInOrder([.. seen, .. resumed.Seqs], writer.Acknowledged);
        }
        finally
        {
            await writer.DisposeAsync();
            await first.DisposeAsync();
            await cluster.StartFrontEnd(1);
        }
    }

    [Fact]
    public async Task Clients_on_both_front_ends_miss_nothing_when_the_silo_holding_the_session_is_killed()
    {
        using var http1 = cluster.CreateClient(1);
        using var http2 = cluster.CreateClient(2);
        var session = await new SessionApi(http1).Create();
        var silo = await SessionPlacement.SiloOf(cluster, http1, session.Token);
        await using var hub1 = await HubClient.Connect(cluster.FrontEndUrls[0], session.Token);
        await using var hub2 = await HubClient.Connect(cluster.FrontEndUrls[1], session.Token);

        var writer = new MessageWriter([http1, http2], session.Token, TimeSpan.FromMilliseconds(50));
        long last;
        try
        {
            await hub1.WaitForSeq(10, Wait);
            var killed = Stopwatch.StartNew();
            await cluster.KillSilo(silo);
            output.WriteLine($"SIGKILL silo {silo} (hosting the session) at seq {writer.LastAcknowledged}");
            var atKill = writer.LastAcknowledged;
            await writer.WaitForAcknowledgedAbove(atKill + 30, TimeSpan.FromSeconds(90));
            output.WriteLine($"30 messages acknowledged after the kill within {killed.Elapsed.TotalSeconds:F1} s");
        }
        finally
        {
            last = await writer.Stop();
            await writer.DisposeAsync();
            await cluster.StartSilo(silo);
        }

        foreach (var hub in new[] { hub1, hub2 })
        {
            await hub.WaitForSeq(last, Wait);
            Assert.False(hub.Closed.IsCompleted, "the hub connection should have stayed open through the silo kill");
            Assert.False(hub.SawGap);
            DeliveryAssert.EveryAcknowledgedEventOnceInOrder(hub.Seqs, writer.Acknowledged);
        }
        output.WriteLine($"{last} messages, each received once and in order on both front ends");
    }

    /// <summary>One run: client on <paramref name="killed"/>, messages through <paramref name="other"/>; returns the reconnect time in ms.</summary>
    private async Task<double> KillFrontEndUnderTraffic(int run, int killed, int other)
    {
        using var http = cluster.CreateClient(other);
        var session = await new SessionApi(http).Create();
        var first = await HubClient.Connect(cluster.FrontEndUrls[killed - 1], session.Token);
        var writer = new MessageWriter([http], session.Token, TimeSpan.FromMilliseconds(50));
        try
        {
            await first.WaitForSeq(5, Wait);
            var killedAt = Stopwatch.GetTimestamp();
            await cluster.KillFrontEnd(killed);
            await first.Closed.WaitAsync(Wait);
            var detected = Stopwatch.GetElapsedTime(killedAt);
            var seen = first.Seqs;
            // Something to replay: a message acknowledged after the last one this connection saw.
            await writer.WaitForAcknowledgedAbove(seen[^1], Wait);

            var reconnecting = Stopwatch.GetTimestamp();
            await using var resumed = await HubClient.Connect(cluster.FrontEndUrls[other - 1], session.Token, afterSeq: seen[^1]);
            var firstReplayed = await resumed.WaitFor(_ => true, Wait, "a replayed event");
            var reconnect = Stopwatch.GetElapsedTime(reconnecting, resumed.FirstEventAt).TotalMilliseconds;
            Assert.Equal(seen[^1] + 1, firstReplayed.GetProperty("seq").GetInt64());

            await writer.WaitForAcknowledgedAbove(firstReplayed.GetProperty("seq").GetInt64() + 10, Wait);
            var last = await writer.Stop();
            await resumed.WaitForSeq(last, Wait);
            DeliveryAssert.EveryAcknowledgedEventOnceInOrder([.. seen, .. resumed.Seqs], writer.Acknowledged);
            output.WriteLine($"run {run}: SIGKILL front end {killed}, close seen after {detected.TotalMilliseconds:F0} ms, last seq {seen[^1]}; "
                + $"reconnect to front end {other} with afterSeq to first replayed message {reconnect:F0} ms; {last} messages once and in order");
            return reconnect;
        }
        finally
        {
            await writer.DisposeAsync();
            await first.DisposeAsync();
            await cluster.StartFrontEnd(killed);
        }
    }
}
