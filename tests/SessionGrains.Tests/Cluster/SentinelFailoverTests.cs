using System.Diagnostics;
using System.Net;
using SessionGrains.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace SessionGrains.Tests.Cluster;

/// <summary>
/// The Sentinel topology of <c>local-cluster.sh up --redis sentinel</c>: a primary, two replicas (so that one is left to
/// confirm writes after a failover) and three sentinels, with 2 silos and 2 front ends.
/// </summary>
public class SentinelCluster : LocalCluster
{
    protected override int Silos => 2;

    protected override IReadOnlyList<string> UpArguments => ["--redis", "sentinel", "--replicas", "2"];
}

/// <summary>The same topology with replica acknowledgements off (<c>Storage:MinReplicaAcks=0</c>): Redis' asynchronous replication alone.</summary>
public sealed class SentinelClusterWithoutReplicaAcks : SentinelCluster
{
    protected override IReadOnlyDictionary<string, string> Settings { get; } = new Dictionary<string, string> { ["Storage:MinReplicaAcks"] = "0" };
}

/// <summary>What one chaos run saw: writes acknowledged, lost and applied twice, and how long writes were refused.</summary>
public sealed record PrimaryKillRun(long Acknowledged, long Lost, long Extra, TimeSpan FirstWriteAfterKill, IReadOnlyList<string> Mismatches, SequencedLoad Load)
{
    /// <summary>Every session's counter and last put equal what was acknowledged, and no call failed but with 503.</summary>
    public void AssertNothingLostAndNo5xxButUnavailable()
    {
        Assert.True(Mismatches.Count == 0, string.Join(Environment.NewLine, Mismatches));
        AssertNo5xxButUnavailable();
    }

    /// <summary>
    /// Without replica acks: sessions found Redis behind what they had acknowledged (log event 1008) and stored it again,
    /// so nothing is lost. Every session of the load kept writing after the failover on its live activation, which still
    /// held what it had acknowledged (a session whose activation is gone too would lose it; replica acks cover that).
    /// </summary>
    public void AssertStorageWentBackAndTheSessionsRestoredIt(LocalCluster cluster, ITestOutputHelper output)
    {
        var silos = cluster.SiloLogText();
        var restored = System.Text.RegularExpressions.Regex.Matches(silos, @"\[1008\] Session \S+: storage was at revision").Count;
        output.WriteLine($"replica acks off: {restored} session(s) found Redis behind what they had acknowledged and stored it again; {Lost} acknowledged write(s) lost of {Acknowledged}");
        Assert.True(restored > 0, "no session found storage behind: the fault did not open the window it is meant to");
        AssertNothingLostAndNo5xxButUnavailable();
        Assert.Equal(0, Extra);
    }

    /// <summary>No call answered a 5xx other than 503 or was cut.</summary>
    public void AssertNo5xxButUnavailable()
    {
        Assert.Equal(0, Load.ServerErrors);
        Assert.Equal(0, Load.TransportErrors);
    }
}

public static class PrimaryKill
{
    /// <summary>Probe sessions written from the kill until each has a write acknowledged.</summary>
    private const int Probes = 12;

    /// <summary>
    /// Sequenced increments on 60 sessions through both front ends; after 4 s the primary is SIGKILLed (first cutting its replicas off for
    /// replication links for <paramref name="cut"/>, when given), or with <paramref name="freeze"/> SIGSTOPped that long and
    /// resumed; probe sessions write every 50 ms from then until each has a write acknowledged (the figure: the SIGKILL or
    /// SIGSTOP to the last probe's first acknowledged write); 4 s later a killed primary is started again (it rejoins as a
    /// replica), and the load runs 4 s more.
    /// </summary>
    public static async Task<PrimaryKillRun> Run(LocalCluster cluster, ITestOutputHelper output, TimeSpan? cut = null, TimeSpan? freeze = null)
    {
        var load = new SequencedLoad(cluster, sessionCount: 60, pace: TimeSpan.FromMilliseconds(100));
        await load.CreateSessions();
        using var http = cluster.CreateClient(2);
        var probe = new SessionApi(http);
        // Several probe sessions: in a Redis Cluster only the killed primary's sessions wait, and each probe's slot is random.
        var probes = new List<string>();
        for (var i = 0; i < Probes; i++) probes.Add((await probe.Create()).Token);
        using var stop = new CancellationTokenSource();
        var running = load.Run(stop.Token);
        TimeSpan firstWrite;
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(4));
            load.Fault(freeze is { } f ? $"primary frozen for {f.TotalMilliseconds:F0} ms, then resumed"
                : cut is null ? "primary SIGKILL" : $"primary SIGKILL after its replicas were cut off for {cut.Value.TotalMilliseconds:F0} ms");
            var killed = Stopwatch.StartNew();
            if (freeze is { } frozen) await cluster.FreezeRedisPrimary(frozen);
            else if (cut is { } c) await cluster.KillRedisPrimaryCuttingReplication(c);
            else await cluster.KillRedis();
            var killTook = killed.Elapsed;
            var waiting = new HashSet<int>(Enumerable.Range(0, probes.Count));
            for (var n = 0; waiting.Count > 0; n++)
            {
                foreach (var i in waiting.ToList())
                {
                    using var write = await probe.Send(HttpMethod.Post, "/sessions/current/counters/probe/increment", probes[i],
                        configure: r => r.Headers.Add("Idempotency-Key", $"probe-{n}"));
                    if (write.StatusCode == HttpStatusCode.OK) waiting.Remove(i);
                    else Assert.True(killed.Elapsed < TimeSpan.FromSeconds(60), $"probe {i}: no write acknowledged within 60 s of the kill (last: {(int)write.StatusCode})");
                }
                if (waiting.Count > 0) await Task.Delay(50);
            }
            // From the SIGKILL as the launcher logged it (the launcher first finds the primary, and may cut its replicas off).
            firstWrite = DateTime.UtcNow - SigKillAt(cluster.LastLog);
            output.WriteLine($"fault command took {killTook.TotalMilliseconds:F0} ms; every probe session had a write acknowledged {firstWrite.TotalMilliseconds:F0} ms after the SIGKILL or SIGSTOP");
            await Task.Delay(TimeSpan.FromSeconds(4));
            if (freeze is null)
            {
                load.Fault("old primary restarted as a replica");
                await cluster.StartRedis();
            }
            await Task.Delay(TimeSpan.FromSeconds(4));
        }
        finally
        {
            await stop.CancelAsync();
            await running.WaitAsync(TimeSpan.FromSeconds(120));
        }
        output.WriteLine($"{load.TotalAcknowledged} writes acknowledged; 503: {load.Unavailable}; other 5xx: {load.ServerErrors}; transport errors: {load.TransportErrors}");
        load.Report(output);
        var (lost, extra, mismatches) = await load.CompareWithStorage();
        output.WriteLine($"lost: {lost}, applied twice: {extra}");
        foreach (var m in mismatches.Take(10)) output.WriteLine(m);
        return new PrimaryKillRun(load.TotalAcknowledged, lost, extra, firstWrite, mismatches, load);
    }

    /// <summary>When the launcher sent the SIGKILL or SIGSTOP, from its log line "local-cluster: HH:mm:ss.fff redis node N: SIGKILL PID" (UTC).</summary>
    private static DateTime SigKillAt(string launcherLog)
    {
        var line = System.Text.RegularExpressions.Regex.Match(launcherLog, @"local-cluster: (\d\d:\d\d:\d\d\.\d{3}) redis node \d+: SIG(KILL|STOP)");
        Assert.True(line.Success, "the launcher did not log the SIGKILL or SIGSTOP: " + launcherLog);
        var at = DateTime.UtcNow.Date + TimeSpan.ParseExact(line.Groups[1].Value, @"hh\:mm\:ss\.fff", System.Globalization.CultureInfo.InvariantCulture);
        return at > DateTime.UtcNow ? at.AddDays(-1) : at;
    }
}

/// <summary>
/// The Sentinel chaos tests run alone, after the parallel collections: a Sentinel failover is timers and elections
/// between processes, and on a 2-core machine shared with other test clusters it once took 18.9 s (15.4 s without a
/// write) where it takes 2-4 s alone. Their own load is what they measure under.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SentinelChaosCollection
{
    public const string Name = "Sentinel chaos, alone";
}

[Collection(SentinelChaosCollection.Name)]
public sealed class SentinelFailoverTests(SentinelCluster cluster, ITestOutputHelper output) : IClassFixture<SentinelCluster>
{
    [Fact]
    public async Task Primary_SIGKILLed_under_load_loses_no_acknowledged_write_and_takes_writes_again_within_5_s()
    {
        var run = await PrimaryKill.Run(cluster, output);
        using var _ = run.Load;
        run.AssertNothingLostAndNo5xxButUnavailable();
        // Target 5 s; 7 s allows for a loaded 2-core machine (the figure is printed above).
        Assert.True(run.FirstWriteAfterKill < TimeSpan.FromSeconds(7), $"first write acknowledged {run.FirstWriteAfterKill.TotalMilliseconds:F0} ms after the kill");
    }

    [Fact]
    public async Task With_replica_acks_a_primary_frozen_past_its_failover_loses_no_acknowledged_write()
    {
        // Two primaries for a while (see the test without acks). A write the frozen one takes after it resumes has no
        // replica to confirm it, so it is not acknowledged; the activation keeps what it acknowledged meanwhile.
        var run = await PrimaryKill.Run(cluster, output, freeze: TimeSpan.FromSeconds(3));
        using var _ = run.Load;
        run.AssertNothingLostAndNo5xxButUnavailable();
    }

    [Fact]
    public async Task With_replica_acks_a_write_the_replicas_missed_is_never_acknowledged_so_the_failover_loses_none()
    {
        // The fault that loses writes without acks (see the test below): with them, those writes wait, fail and are retried.
        var run = await PrimaryKill.Run(cluster, output, cut: TimeSpan.FromMilliseconds(500));
        using var _ = run.Load;
        run.AssertNothingLostAndNo5xxButUnavailable();
    }
}

[Collection(SentinelChaosCollection.Name)]
public sealed class SentinelWithoutReplicaAcksTests(SentinelClusterWithoutReplicaAcks cluster, ITestOutputHelper output) : IClassFixture<SentinelClusterWithoutReplicaAcks>
{
    [Fact]
    public async Task Without_replica_acks_the_failover_loses_writes_in_Redis_and_the_live_sessions_store_them_again()
    {
        var run = await PrimaryKill.Run(cluster, output, cut: TimeSpan.FromMilliseconds(500));
        using var _ = run.Load;
        // The window is real: with 60 sessions writing every 100 ms for 0.5 s, the promoted replica misses some writes.
        run.AssertStorageWentBackAndTheSessionsRestoredIt(cluster, output);
    }

    [Fact]
    public async Task A_primary_frozen_past_its_failover_drops_what_it_acknowledged_after_and_the_live_sessions_store_it_again()
    {
        // Two primaries for a while: the frozen one resumes and answers what its clients had queued, then the sentinels
        // make it a replica of the promoted one, which never got those writes. (A Redis double failover showed the same.)
        var run = await PrimaryKill.Run(cluster, output, freeze: TimeSpan.FromSeconds(3));
        using var _ = run.Load;
        run.AssertStorageWentBackAndTheSessionsRestoredIt(cluster, output);
    }
}
