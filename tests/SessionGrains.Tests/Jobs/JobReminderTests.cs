using SessionGrains.Tests.Cluster;
using SessionGrains.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace SessionGrains.Tests.Jobs;

/// <summary>With nobody asking about it, a job whose silo was killed is brought back by its Orleans reminder.</summary>
[Collection(ClusterCollection.Name)]
public sealed class JobReminderTests(LocalCluster cluster, ITestOutputHelper output)
{
    [Fact]
    public async Task A_job_whose_silo_died_resumes_by_its_reminder_without_any_client_call()
    {
        using var http = cluster.CreateClient(1);
        var api = new SessionApi(http);
        var session = await api.Create();
        var job = await JobDriver.Start(api, session.Token, JobDriver.RenderInput(seed: 404, frames: 400));
        var id = job.GetProperty("id").GetString()!;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        JobSample before;
        while ((before = await JobDriver.Get(api, session.Token, id)).OutputBytes == 0 && DateTime.UtcNow < deadline) await Task.Delay(200);
        var silo = cluster.SiloNumberOf(before.Silo!);
        await cluster.KillSilo(silo);
        var killedAt = DateTime.UtcNow;
        try
        {
            // No call reaches the job now: only its reminder can bring it back (10 s period, plus death detection).
            await Task.Delay(TimeSpan.FromSeconds(20));
            var after = await JobDriver.Get(api, session.Token, id);
            output.WriteLine($"killed silo {silo} at {before.OutputBytes} committed bytes; 20 s later (first call): {after.Status}, {after.OutputBytes} bytes, " +
                $"{after.Checkpoints} checkpoints, resumed {after.Resumes} time(s) on silo {cluster.SiloNumberOf(after.Silo!)}");
            Assert.True(after.Resumes >= 1, "not resumed");
            Assert.NotEqual(silo, cluster.SiloNumberOf(after.Silo!));
            // It made progress before anyone asked: its checkpoints went on while no client called it.
            Assert.True(after.OutputBytes > (after.ResumedFromBytes ?? 0) && after.Checkpoints > before.Checkpoints + 1,
                $"no progress without a client: {after.OutputBytes} bytes, resumed from {after.ResumedFromBytes}");
        }
        finally
        {
            await cluster.StartSilo(silo);
            using var cancel = await api.Send(HttpMethod.Delete, $"/sessions/current/jobs/{id}", session.Token);
        }
        output.WriteLine($"test took {(DateTime.UtcNow - killedAt).TotalSeconds:F1} s after the kill");
    }
}
