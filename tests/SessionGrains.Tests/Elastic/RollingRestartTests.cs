using System.Diagnostics;
using SessionGrains.Tests.Cluster;
using SessionGrains.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace SessionGrains.Tests.Elastic;

[Collection(ElasticCollection.Name)]
public sealed class RollingRestartTests(LocalCluster cluster, ITestOutputHelper output)
{
    [Fact]
    public async Task A_rolling_restart_of_every_silo_and_front_end_under_writes_loses_none_applies_none_twice_and_keeps_waits_short()
    {
        using var load = new SequencedLoad(cluster, sessionCount: 80, pace: TimeSpan.FromMilliseconds(200));
        await load.CreateSessions();
        using var stop = new CancellationTokenSource();
        var running = load.Run(stop.Token);
        var started = Stopwatch.GetTimestamp();
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(3));
            load.Fault("rolling restart");
            await cluster.RollingRestart();
            load.Fault("after the restart");
            await Task.Delay(TimeSpan.FromSeconds(3));
        }
        finally
        {
            await stop.CancelAsync();
            await running.WaitAsync(TimeSpan.FromSeconds(90));
        }

        var (median, longest) = load.Unavailability();
        output.WriteLine($"rolling restart of {cluster.SiloCount} silos and {cluster.FrontEndUrls.Count} front ends under load took {Stopwatch.GetElapsedTime(started).TotalSeconds:F0} s; " +
            $"{load.TotalAcknowledged} writes acknowledged; per-session longest wait for a write: median {median:F0} ms, longest {longest:F0} ms");
        load.Report(output);
        // A stopped front end refuses connections until its successor listens: the client retries on the other one.
        output.WriteLine($"5xx: {load.ServerErrors + load.Unavailable}, connections refused or cut (retried on the other front end): {load.TransportErrors}");
        foreach (var failure in load.Failures.Take(5)) output.WriteLine(failure);
        output.WriteLine(cluster.LastLog);

        await load.AssertEveryAcknowledgedWriteIsPresent();
        Assert.Equal(0, load.ServerErrors + load.Unavailable);
        // The 2 s target is the printed figure (README); CI asserts with a margin a shared machine's noise cannot break.
        load.AssertWorstWaitsWithinBound();
    }
}
