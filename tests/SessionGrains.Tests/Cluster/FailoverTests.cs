using SessionGrains.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace SessionGrains.Tests.Cluster;

[Collection(ClusterCollection.Name)]
public sealed class FailoverTests(LocalCluster cluster, ITestOutputHelper output)
{
    [Fact]
    public async Task Killing_silos_under_load_loses_no_acknowledged_write_and_fails_no_request()
    {
        using var load = new SequencedLoad(cluster, sessionCount: 80, pace: TimeSpan.FromMilliseconds(200));
        await load.CreateSessions();
        using var stop = new CancellationTokenSource();
        var running = load.Run(stop.Token);
        var started = DateTime.UtcNow;
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(5));
            load.Fault(SiloKill);
            await cluster.KillSilo(1);
            output.WriteLine($"{Elapsed(started)}: SIGKILL silo 1");
            await Task.Delay(TimeSpan.FromSeconds(5));
            load.Fault(SiloRejoin);
            await cluster.StartSilo(1);
            output.WriteLine($"{Elapsed(started)}: silo 1 back");
            await Task.Delay(TimeSpan.FromSeconds(4));
            load.Fault(SiloKill);
            await cluster.KillSilo(2);
            output.WriteLine($"{Elapsed(started)}: SIGKILL silo 2");
            var rest = TimeSpan.FromSeconds(22) - (DateTime.UtcNow - started);
            if (rest > TimeSpan.Zero) await Task.Delay(rest);
        }
        finally
        {
            await stop.CancelAsync();
            await running.WaitAsync(TimeSpan.FromSeconds(90));
            await cluster.StartSilo(2);
        }

        var (median, longest) = load.Unavailability();
        output.WriteLine($"{load.TotalAcknowledged} writes acknowledged over {Elapsed(started)}; per-session longest wait for a write: median {median:F0} ms, longest {longest:F0} ms");
        output.WriteLine($"5xx after retries: {load.ServerErrors + load.Unavailable}, transport errors: {load.TransportErrors}");
        load.Report(output);
        foreach (var failure in load.Failures.Take(10)) output.WriteLine(failure);

        await load.AssertEveryAcknowledgedWriteIsPresent();
        output.WriteLine($"comparison reads answered 503 and asked again: {load.ComparisonReadsRefused}");
        Assert.Equal(0, load.ServerErrors + load.Unavailable);
        Assert.Equal(0, load.TransportErrors);
        load.AssertWorstWaitsWithinBound();
        // Each killed silo was declared dead by a peer that found its port refusing (Hosting/PeerDeathWatch.cs), not after
        // missed probes: the Orleans connection events it listens to are still there.
        var silos = cluster.SiloLogText();
        foreach (var killed in new[] { 1, 2 })
            Assert.Matches($@"PeerDeathWatch\[2301\] Silo S127\.0\.0\.1:{cluster.SiloPort(killed)}:\d+ refuses connections", silos);
    }

    [Fact]
    public async Task Stopping_a_silo_with_SIGTERM_under_load_fails_no_request()
    {
        using var load = new SequencedLoad(cluster, sessionCount: 80, pace: TimeSpan.FromMilliseconds(200));
        await load.CreateSessions();
        using var stop = new CancellationTokenSource();
        var running = load.Run(stop.Token);
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(4));
            load.Fault("silo 3 SIGTERM (drain)");
            await cluster.StopSilo(3);
            load.Fault("after silo 3 left");
            await Task.Delay(TimeSpan.FromSeconds(4));
        }
        finally
        {
            await stop.CancelAsync();
            await running.WaitAsync(TimeSpan.FromSeconds(90));
            await cluster.StartSilo(3);
        }

        output.WriteLine($"{load.TotalAcknowledged} writes acknowledged; 5xx: {load.ServerErrors + load.Unavailable}, transport errors: {load.TransportErrors}");
        load.Report(output);
        foreach (var failure in load.Failures.Take(10)) output.WriteLine(failure);
        Assert.Equal(0, load.ServerErrors + load.Unavailable);
        Assert.Equal(0, load.TransportErrors);
        await load.AssertEveryAcknowledgedWriteIsPresent();
        load.AssertWorstWaitsWithinBound();
    }

    [Fact]
    public async Task Stopping_and_killing_a_front_end_under_load_loses_no_acknowledged_write_and_clients_go_on_through_the_other()
    {
        using var load = new SequencedLoad(cluster, sessionCount: 80, pace: TimeSpan.FromMilliseconds(200));
        await load.CreateSessions();
        using var stop = new CancellationTokenSource();
        var running = load.Run(stop.Token);
        int cutBeforeKill, unsentBeforeKill;
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(3));
            load.Fault(FrontEndStop);
            await cluster.StopFrontEnd(1);
            await Task.Delay(TimeSpan.FromSeconds(2));
            load.Fault(FrontEndRestart);
            await cluster.StartFrontEnd(1);
            await Task.Delay(TimeSpan.FromSeconds(3));
            cutBeforeKill = load.TransportErrors;
            unsentBeforeKill = load.ResetUnsent;
            load.Fault(FrontEndKill);
            await cluster.KillFrontEnd(1);
            await Task.Delay(TimeSpan.FromSeconds(2));
            load.Fault(FrontEndRestart);
            await cluster.StartFrontEnd(1);
            await Task.Delay(TimeSpan.FromSeconds(3));
        }
        finally
        {
            await stop.CancelAsync();
            await running.WaitAsync(TimeSpan.FromSeconds(90));
        }

        // Without a load balancer in front, a client whose front end is gone sees its connection refused and tries the other.
        // A SIGKILL cuts the requests the process had (no process can answer them); a SIGTERM must answer every one.
        output.WriteLine($"{load.TotalAcknowledged} writes acknowledged; 5xx: {load.ServerErrors + load.Unavailable}; " +
            $"cut by the SIGTERM: {cutBeforeKill} (reset before the request was sent: {unsentBeforeKill}), by the SIGKILL: {load.TransportErrors - cutBeforeKill}");
        load.Report(output);
        foreach (var failure in load.Failures.Take(5)) output.WriteLine(failure);
        await load.AssertEveryAcknowledgedWriteIsPresent();
        Assert.Equal(0, load.ServerErrors);
        // A request still waiting FrontEnd:DrainTimeout (0.5 s) after the SIGTERM is answered 503 with Retry-After, by
        // design; on an idle machine none waits that long (0 in most runs), a loaded CI machine saw one.
        Assert.True(load.Unavailable <= 2, $"{load.Unavailable} answers 503");
        // A connection the kernel accepted just before Kestrel closed its listener is reset unread: the client learns nothing
        // was done, as with a refused one (a finding left to the drain's owners). A request the front end read is always answered.
        Assert.Equal(unsentBeforeKill, cutBeforeKill);
        load.AssertWorstWaitsWithinBound();
    }

    public const string SiloKill = "silo SIGKILL";
    public const string SiloRejoin = "silo rejoin";
    public const string FrontEndStop = "front-end SIGTERM";
    public const string FrontEndKill = "front-end SIGKILL";
    public const string FrontEndRestart = "front-end restart";

    private static string Elapsed(DateTime started) => $"{(DateTime.UtcNow - started).TotalSeconds:F1} s";
}
