using System.Net;
using SessionGrains.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace SessionGrains.Tests.Cluster;

[Collection(ClusterCollection.Name)]
public sealed class RedisOutageTests(LocalCluster cluster, ITestOutputHelper output)
{
    [Fact]
    public async Task Redis_killed_and_restarted_under_load_loses_no_acknowledged_write_and_recovers_by_itself()
    {
        using var load = new SequencedLoad(cluster, sessionCount: 100, pace: TimeSpan.FromMilliseconds(100));
        await load.CreateSessions();
        using var stop = new CancellationTokenSource();
        var running = load.Run(stop.Token);
        long acknowledgedBeforeRestart;
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(4));
            load.Fault("Redis SIGKILL, down 3 s");
            await cluster.KillRedis();
            await Task.Delay(TimeSpan.FromSeconds(3));
            await cluster.StartRedis();
            load.Fault("after Redis came back");
            acknowledgedBeforeRestart = load.TotalAcknowledged;
            await Task.Delay(TimeSpan.FromSeconds(6));
        }
        finally
        {
            await stop.CancelAsync();
            await running.WaitAsync(TimeSpan.FromSeconds(120));
        }

        output.WriteLine($"{load.TotalAcknowledged} writes acknowledged ({load.TotalAcknowledged - acknowledgedBeforeRestart} after Redis came back); 503 while down: {load.Unavailable}; other 5xx: {load.ServerErrors}; transport errors: {load.TransportErrors}");
        load.Report(output);
        foreach (var failure in load.Failures.Take(10)) output.WriteLine(failure);
        Assert.True(load.TotalAcknowledged > acknowledgedBeforeRestart, "no write succeeded after Redis came back");
        Assert.Equal(0, load.ServerErrors);
        Assert.Equal(0, load.TransportErrors);
        await load.AssertEveryAcknowledgedWriteIsPresent();
        // Storage failures travel from the silos to the front ends as themselves: no process logged an exception Orleans
        // could not serialize (it did for every failed write while Redis was down, before RedisConnection's codec setting).
        Assert.All(cluster.ProcessLogs(), log => Assert.DoesNotContain("Could not find a codec", File.ReadAllText(log)));
    }

    [Fact]
    public async Task While_Redis_is_down_writes_answer_503_with_Retry_After_and_reads_of_active_sessions_still_work()
    {
        using var http = cluster.CreateClient(1);
        var api = new SessionApi(http);
        var session = await api.Create("""{"data":{"cart":["book"]}}""");
        await api.Get(session.Token);

        await cluster.KillRedis();
        try
        {
            var during = await api.Get(session.Token);
            Assert.Equal("book", during.GetProperty("data").GetProperty("cart")[0].GetString());

            using var write = await api.Send(HttpMethod.Put, "/sessions/current/data/cart", session.Token, SessionApi.Json("[]"));
            await SessionApi.AssertProblem(write, HttpStatusCode.ServiceUnavailable);
            Assert.NotNull(write.Headers.RetryAfter);
        }
        finally
        {
            await cluster.StartRedis();
        }
        // StartRedis returns once Redis answers PING: from here, writes must succeed again within about a second.
        var back = System.Diagnostics.Stopwatch.StartNew();

        // Recovers by itself: the same write succeeds once Redis is back, and the refused one changed nothing.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        HttpStatusCode status;
        var attempts = 0;
        do
        {
            using var retry = await api.Send(HttpMethod.Put, "/sessions/current/data/cart", session.Token, SessionApi.Json("[]"), r => r.Headers.Add("Idempotency-Key", "after-outage"));
            status = retry.StatusCode;
            attempts++;
            if (status != HttpStatusCode.OK) await Task.Delay(50);
        }
        while (status != HttpStatusCode.OK && DateTime.UtcNow < deadline);
        var recovered = back.Elapsed;
        output.WriteLine($"first write acknowledged {recovered.TotalMilliseconds:F0} ms after Redis answered again ({attempts} attempts)");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(2, (await api.Get(session.Token)).GetProperty("version").GetInt64());
        // The figure the client's reconnect period (200 ms) is tuned for; generous for a loaded 2-core machine.
        Assert.True(recovered < TimeSpan.FromSeconds(2), $"writes succeeded again only {recovered.TotalMilliseconds:F0} ms after Redis came back");
    }
}
