using System.Net;
using SessionGrains.Tests.Infrastructure;
using Xunit;

namespace SessionGrains.Tests.Jobs;

/// <summary>A standalone front end whose finished jobs are kept for 2 s only.</summary>
public sealed class ShortRetentionFrontEnd : StandaloneFrontEnd
{
    protected override IReadOnlyDictionary<string, string> Settings { get; } = new Dictionary<string, string>
    {
        ["Jobs:Retention"] = "00:00:02",
        ["Jobs:MaxJobsPerSession"] = "1",
    };
}

public sealed class JobRetentionTests(ShortRetentionFrontEnd frontEnd) : IClassFixture<ShortRetentionFrontEnd>
{
    [Fact]
    public async Task A_finished_job_and_its_output_are_gone_after_the_retention_and_free_its_place()
    {
        var api = new SessionApi(frontEnd.CreateClient());
        var session = await api.Create();
        var job = await JobDriver.Start(api, session.Token, JobDriver.RenderInput(seed: 1, frames: 3, width: 32, height: 32, iterations: 32));
        var id = job.GetProperty("id").GetString()!;
        using (var output = await api.Send(HttpMethod.Get, $"/sessions/current/jobs/{id}/output", session.Token))
            Assert.Equal(HttpStatusCode.OK, output.StatusCode);
        using (var full = await api.Send(HttpMethod.Post, "/sessions/current/jobs", session.Token, SessionApi.Json(JobDriver.RenderInput(seed: 2, frames: 3, width: 32, height: 32))))
            await SessionApi.AssertProblem(full, HttpStatusCode.TooManyRequests);

        // The retention reminder deletes the job (standalone: Orleans' in-memory reminder service).
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (true)
        {
            using var response = await api.Send(HttpMethod.Get, $"/sessions/current/jobs/{id}/output", session.Token);
            if (response.StatusCode == HttpStatusCode.NotFound) break;
            Assert.True(DateTime.UtcNow < deadline, "the job outlived its retention by 18 s");
            await Task.Delay(250);
        }
        await JobDriver.Start(api, session.Token, JobDriver.RenderInput(seed: 2, frames: 3, width: 32, height: 32, iterations: 32));
    }
}
