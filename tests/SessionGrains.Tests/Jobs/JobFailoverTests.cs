using System.Collections.Concurrent;
using SessionGrains.Grains.Jobs;
using SessionGrains.Tests.Cluster;
using SessionGrains.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace SessionGrains.Tests.Jobs;

/// <summary>
/// A render job survives the silo running it (SIGKILL, SIGTERM) and a Redis outage, on the shared local cluster
/// (Redis, 3 silos, 2 front ends): it finishes, its progress never goes back past the last checkpoint, its output is
/// byte for byte an uninterrupted run's, and a reader streaming through the failure (cut off at the failure, resuming
/// with Range on the other front end) got exactly those bytes. Each test prints its failover figures.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class JobFailoverTests(LocalCluster cluster, ITestOutputHelper output)
{
    private const int Frames = 200;

    [Fact]
    public Task A_render_survives_SIGKILL_of_its_silo_and_streams_identical_bytes() => Survives(seed: 101, "SIGKILL", async silo =>
    {
        await cluster.KillSilo(silo!.Value);
        return () => cluster.StartSilo(silo.Value);
    });

    [Fact]
    public Task A_render_survives_SIGTERM_of_its_silo_and_streams_identical_bytes() => Survives(seed: 202, "SIGTERM", async silo =>
    {
        await cluster.StopSilo(silo!.Value);
        return () => cluster.StartSilo(silo.Value);
    });

    [Fact]
    public Task A_render_survives_Redis_down_for_3_seconds_and_streams_identical_bytes() => Survives(seed: 303, "Redis down 3 s", async _ =>
    {
        await cluster.KillRedis();
        await Task.Delay(TimeSpan.FromSeconds(3));
        await cluster.StartRedis();
        return () => Task.CompletedTask;
    });

    [Fact]
    public Task A_reader_whose_front_end_is_killed_resumes_with_Range_on_the_other_and_gets_identical_bytes() => Survives(seed: 505, "SIGKILL of front end 1", async _ =>
    {
        await cluster.KillFrontEnd(1);
        return () => cluster.StartFrontEnd(1);
    });

    /// <summary>Whether the failure hits the silo running the job (it must then resume elsewhere).</summary>
    private static bool HitsTheJobsSilo(string failure) => failure is "SIGKILL" or "SIGTERM";

    private async Task Survives(int seed, string failure, Func<int?, Task<Func<Task>>> disrupt)
    {
        var started = DateTime.UtcNow;
        using var http1 = cluster.CreateClient(1);
        using var http2 = cluster.CreateClient(2);
        var api1 = new SessionApi(http1);
        var api2 = new SessionApi(http2);
        var session = await api1.Create();
        await using var socket = await EventSocket.Connect(cluster.FrontEndUrls[1], session.Token);
        var startJson = JobDriver.RenderInput(seed, Frames);
        var reference = Task.Run(() => JobDriver.Reference(startJson));

        var job = await JobDriver.Start(api1, session.Token, startJson);
        var id = job.GetProperty("id").GetString()!;
        var samples = new ConcurrentQueue<JobSample>();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(150));
        var polling = JobDriver.Poll(api2, session.Token, id, samples, stop.Token);
        var reader = new ResumingReader([http1, http2], session.Token, id);
        var reading = reader.Run(TimeSpan.FromSeconds(150));

        while (samples.LastOrDefault() is not { Progress: >= 0.5 } && !polling.IsCompleted && DateTime.UtcNow - started < TimeSpan.FromSeconds(90)) await Task.Delay(50);
        var before = await JobDriver.Get(api2, session.Token, id);
        Assert.Equal("running", before.Status);
        var silo = cluster.SiloNumberOf(before.Silo!);
        var readBefore = reader.Received;
        var disruptedAt = DateTime.UtcNow;
        Func<Task> restore = () => Task.CompletedTask;
        var disrupted = disruptedAt;
        try
        {
            restore = await disrupt(silo);
            disrupted = DateTime.UtcNow;
            output.WriteLine($"{failure} (silo {silo}; done after {(disrupted - disruptedAt).TotalSeconds:F2} s) at {before.Progress:P0} ({before.Checkpoints} checkpoints, {before.OutputBytes} bytes committed, reader had {readBefore})");
            // The reader's connection is cut at the failure (for real when its front end dies) and resumes on the other.
            if (!failure.Contains("front end", StringComparison.Ordinal)) reader.CutOff();
            await polling.WaitAsync(TimeSpan.FromSeconds(150));
            await reading.WaitAsync(TimeSpan.FromSeconds(150));
        }
        finally
        {
            await restore();
        }

        var final = samples.Last();
        Assert.True(final.Status == "succeeded", $"the job ended {final.Status}: {final.Error}");
        var all = samples.ToList();
        var after = all.Where(s => s.At > disruptedAt).ToList();

        // Progress never goes back past the last checkpoint seen before the failure.
        var frameLength = GifStream.FrameLength(160, 120);
        double CommittedProgress(JobSample s) => Math.Max(0, s.OutputBytes - GifStream.HeaderLength) / frameLength / (double)Frames;
        var floor = CommittedProgress(before);
        var lowest = after.Min(s => s.Progress);
        var liveFramesBefore = Math.Round(before.Progress * Frames);
        output.WriteLine($"progress before: {before.Progress:F3} (committed {floor:F3}); lowest after: {lowest:F3}; checkpoints {final.Checkpoints}, resumes {final.Resumes}");
        Assert.True(lowest >= floor - 1e-9, $"progress went back to {lowest} below the last checkpoint {floor}");

        if (HitsTheJobsSilo(failure))
        {
            var moved = after.FirstOrDefault(s => s.Silo != before.Silo && s.Status == "running");
            var grew = after.FirstOrDefault(s => s.Silo != before.Silo && s.OutputBytes > before.OutputBytes);
            Assert.NotEqual(before.Silo, final.Silo);
            Assert.True(final.Resumes >= 1, "the job was not resumed from a checkpoint");
            output.WriteLine($"resumed on silo {cluster.SiloNumberOf(final.Silo!)}: running again after {Seconds(moved?.At, disruptedAt)}, first new checkpoint after {Seconds(grew?.At, disruptedAt)}");
        }
        else
        {
            var grew = after.FirstOrDefault(s => s.OutputBytes > before.OutputBytes && s.At > disrupted);
            output.WriteLine($"stayed on silo {cluster.SiloNumberOf(final.Silo!)}; first checkpoint after the failure was over: {Seconds(grew?.At, disruptedAt)} after it began");
        }
        // Recomputed: output the job had computed before the failure (at least what the last poll saw) that the resumed
        // activation computed again, from the checkpoint it resumed from.
        var computedBefore = GifStream.HeaderLength + (long)liveFramesBefore * frameLength;
        var resumedFrom = final.ResumedFromBytes ?? before.OutputBytes;
        var recomputed = final.Resumes == 0 ? 0 : Math.Max(0, computedBefore - resumedFrom);
        output.WriteLine($"bytes recomputed: {recomputed} ({recomputed / frameLength} frames; computed before the failure >= {computedBefore}, resumed from {resumedFrom}) of {GifStream.Length(160, 120, Frames)}");

        var expected = await reference;
        using var whole = await api2.Send(HttpMethod.Get, $"/sessions/current/jobs/{id}/output", session.Token);
        var bytes = await whole.Content.ReadAsByteArrayAsync();
        Assert.Equal(JobDriver.Sha256(expected), JobDriver.Sha256(bytes));
        Assert.True(reader.Resumes >= 1, "the reader never resumed");
        Assert.Equal(JobDriver.Sha256(expected), JobDriver.Sha256(reader.Bytes));
        output.WriteLine($"output SHA-256 {JobDriver.Sha256(bytes)[..16]}… equals the uninterrupted run's; the reader resumed {reader.Resumes} time(s): {string.Join("; ", reader.Log)}");

        var completed = await socket.WaitFor(e => e.GetProperty("type").GetString() == "job.completed" && e.GetProperty("job").GetProperty("id").GetString() == id,
            TimeSpan.FromSeconds(30), "job.completed");
        var progressEvents = socket.Received.Count(e => e.GetProperty("type").GetString() == "job.progress");
        var seqs = socket.Seqs;
        Assert.True(seqs.SequenceEqual(seqs.Order().Distinct()), "event seqs are not increasing");
        Assert.True(progressEvents > 0, "no job.progress events");
        output.WriteLine($"WebSocket: {progressEvents} job.progress events, job.completed at seq {completed.GetProperty("seq").GetInt64()}; test took {(DateTime.UtcNow - started).TotalSeconds:F1} s");
    }

    private static string Seconds(DateTime? at, DateTime from) => at is { } t ? $"{(t - from).TotalSeconds:F2} s" : "n/a";
}
