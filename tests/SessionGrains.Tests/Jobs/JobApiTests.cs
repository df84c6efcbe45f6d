using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using SessionGrains.Interfaces;
using SessionGrains.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace SessionGrains.Tests.Jobs;

/// <summary>A standalone front end with small job limits, so the tests reach them quickly.</summary>
public sealed class JobFrontEnd : StandaloneFrontEnd
{
    public const int MaxUpload = 200_000;

    protected override IReadOnlyDictionary<string, string> Settings { get; } = new Dictionary<string, string>
    {
        ["Jobs:MaxUploadBytes"] = MaxUpload.ToString(),
        ["Jobs:MaxJobsPerSession"] = "3",
        ["Jobs:ChunkBytes"] = "16384",
    };
}

/// <summary>The job API on a real standalone front end (SQLite storage): input checks, limits, Range, process, cancel, session end.</summary>
public sealed class JobApiTests(JobFrontEnd frontEnd, ITestOutputHelper output) : IClassFixture<JobFrontEnd>
{
    private readonly SessionApi _api = new(frontEnd.CreateClient());

    [Fact]
    public async Task Bad_input_is_a_4xx_problem_and_starts_nothing()
    {
        var session = await _api.Create();
        (string Body, HttpStatusCode Status, string Type)[] cases =
        [
            ("""{"kind":"transcode","input":{}}""", HttpStatusCode.BadRequest, "invalid-argument"),
            ("""{"kind":"Render!","input":{}}""", HttpStatusCode.BadRequest, "bad-request"),
            ("""{"kind":"render","input":{"seed":1,"frames":10,"width":64}}""", HttpStatusCode.BadRequest, "invalid-argument"),
            ("""{"kind":"render","input":{"seed":1,"frames":10,"width":64,"height":"64"}}""", HttpStatusCode.BadRequest, "invalid-argument"),
            ("""{"kind":"render","input":{"seed":-1,"frames":10,"width":64,"height":64}}""", HttpStatusCode.BadRequest, "invalid-argument"),
            ("""{"kind":"render","input":{"seed":1,"frames":0,"width":64,"height":64}}""", HttpStatusCode.BadRequest, "invalid-argument"),
            ("""{"kind":"render","input":{"seed":1,"frames":10,"width":64,"height":64,"fps":30}}""", HttpStatusCode.BadRequest, "invalid-argument"),
            ("""{"kind":"render","input":{"seed":1,"frames":5000,"width":640,"height":640}}""", HttpStatusCode.RequestEntityTooLarge, "job-too-large"),
            ("""{"kind":"render","input":[1,2]}""", HttpStatusCode.BadRequest, "bad-request"),
            ("""{"kind":"render","input":{},"extra":1}""", HttpStatusCode.BadRequest, "bad-request"),
            ("""{"kind":"process","input":{}}""", HttpStatusCode.BadRequest, "invalid-argument"),
            ("""{"input":{}}""", HttpStatusCode.BadRequest, "bad-request"),
            ("""not json""", HttpStatusCode.BadRequest, "bad-request"),
        ];
        foreach (var (body, status, type) in cases)
        {
            using var response = await _api.Send(HttpMethod.Post, "/sessions/current/jobs", session.Token, SessionApi.Json(body));
            var problem = await SessionApi.AssertProblem(response, status);
            Assert.Equal("urn:session-grains:problem:" + type, problem.GetProperty("type").GetString());
        }

        using (var oversize = await _api.Send(HttpMethod.Post, "/sessions/current/jobs?kind=process", session.Token, Upload(new byte[JobFrontEnd.MaxUpload + 1])))
        {
            var problem = await SessionApi.AssertProblem(oversize, HttpStatusCode.RequestEntityTooLarge);
            Assert.Equal("urn:session-grains:problem:job-too-large", problem.GetProperty("type").GetString());
        }
        using (var uploadToRender = await _api.Send(HttpMethod.Post, "/sessions/current/jobs?kind=render", session.Token, Upload(new byte[10])))
            await SessionApi.AssertProblem(uploadToRender, HttpStatusCode.BadRequest);
        using (var badId = await _api.Send(HttpMethod.Get, "/sessions/current/jobs/not-a-job", session.Token))
            await SessionApi.AssertProblem(badId, HttpStatusCode.NotFound);
        using (var unknown = await _api.Send(HttpMethod.Get, "/sessions/current/jobs/AAAAAAAAAAAAAAAA/output", session.Token))
            await SessionApi.AssertProblem(unknown, HttpStatusCode.NotFound);
        using (var anonymous = await _api.Send(HttpMethod.Post, "/sessions/current/jobs", null, SessionApi.Json("""{"kind":"render","input":{}}""")))
            await SessionApi.AssertProblem(anonymous, HttpStatusCode.Unauthorized);

        Assert.Equal(0, (await List(session.Token)).GetArrayLength());
    }

    [Fact]
    public async Task Range_beyond_the_end_is_416_and_If_Range_with_another_ETag_gets_the_whole_output()
    {
        var session = await _api.Create();
        var job = await JobDriver.Start(_api, session.Token, JobDriver.RenderInput(seed: 5, frames: 4, width: 32, height: 32, iterations: 32));
        var id = job.GetProperty("id").GetString()!;
        var length = job.GetProperty("outputLength").GetInt64();
        using var whole = await _api.Send(HttpMethod.Get, $"/sessions/current/jobs/{id}/output", session.Token);
        var bytes = await whole.Content.ReadAsByteArrayAsync();
        Assert.Equal(length, bytes.Length);
        var etag = whole.Headers.ETag!;

        using (var beyond = await _api.Send(HttpMethod.Get, $"/sessions/current/jobs/{id}/output", session.Token, configure: r => r.Headers.Range = new RangeHeaderValue(length, null)))
        {
            await SessionApi.AssertProblem(beyond, HttpStatusCode.RequestedRangeNotSatisfiable);
            Assert.Equal(length, beyond.Content.Headers.ContentRange!.Length);
        }
        using (var middle = await _api.Send(HttpMethod.Get, $"/sessions/current/jobs/{id}/output", session.Token, configure: r =>
        {
            r.Headers.Range = new RangeHeaderValue(100, 199);
            r.Headers.IfRange = new RangeConditionHeaderValue(etag);
        }))
        {
            Assert.Equal(HttpStatusCode.PartialContent, middle.StatusCode);
            Assert.Equal($"bytes 100-199/{length}", middle.Content.Headers.ContentRange!.ToString());
            Assert.Equal(bytes[100..200], await middle.Content.ReadAsByteArrayAsync());
        }
        using (var stale = await _api.Send(HttpMethod.Get, $"/sessions/current/jobs/{id}/output", session.Token, configure: r =>
        {
            r.Headers.Range = new RangeHeaderValue(100, null);
            r.Headers.IfRange = new RangeConditionHeaderValue(new EntityTagHeaderValue("\"other\""));
        }))
        {
            Assert.Equal(HttpStatusCode.OK, stale.StatusCode);
            Assert.Equal(bytes, await stale.Content.ReadAsByteArrayAsync());
        }
        Assert.Equal(JobDriver.Sha256(JobDriver.Reference(JobDriver.RenderInput(seed: 5, frames: 4, width: 32, height: 32, iterations: 32))), JobDriver.Sha256(bytes));
    }

    [Fact]
    public async Task Process_counts_lines_words_and_hashes_each_chunk_of_an_upload()
    {
        var session = await _api.Create();
        var text = string.Concat(Enumerable.Range(0, 4000).Select(i => $"line {i} has  some\twords {i % 7}\n"));
        var file = Encoding.UTF8.GetBytes(text);
        using var started = await _api.Send(HttpMethod.Post, "/sessions/current/jobs?kind=process", session.Token, Upload(file));
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        var id = JsonDocument.Parse(await started.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
        using var result = await _api.Send(HttpMethod.Get, $"/sessions/current/jobs/{id}/output", session.Token);
        Assert.Equal("application/json", result.Content.Headers.ContentType!.MediaType);
        var json = JsonDocument.Parse(await result.Content.ReadAsByteArrayAsync()).RootElement;

        var totals = json.GetProperty("totals");
        Assert.Equal(file.Length, totals.GetProperty("bytes").GetInt64());
        Assert.Equal(4000, totals.GetProperty("lines").GetInt64());
        Assert.Equal(text.Split([' ', '\t', '\n'], StringSplitOptions.RemoveEmptyEntries).Length, totals.GetProperty("words").GetInt64());
        var chunks = json.GetProperty("chunks").EnumerateArray().ToList();
        Assert.Equal((file.Length + 16383) / 16384, chunks.Count);
        for (var i = 0; i < chunks.Count; i++)
        {
            var slice = file.AsSpan(i * 16384, Math.Min(16384, file.Length - i * 16384));
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(slice)), chunks[i].GetProperty("sha256").GetString());
        }
        output.WriteLine($"{file.Length} bytes in {chunks.Count} chunks");
    }

    [Fact]
    public async Task Delete_cancels_and_the_limit_and_idempotency_key_hold()
    {
        var session = await _api.Create();
        await using var socket = await EventSocket.Connect(frontEnd.BaseAddress, session.Token);
        var slow = JobDriver.RenderInput(seed: 9, frames: 400, width: 160, height: 120, iterations: 3000);
        var first = await Start(session.Token, slow, "key-1");
        var again = await Start(session.Token, slow, "key-1");
        Assert.Equal(first, again);
        await Start(session.Token, slow, "key-2");
        await Start(session.Token, slow, "key-3");
        using (var fourth = await _api.Send(HttpMethod.Post, "/sessions/current/jobs", session.Token, SessionApi.Json(slow)))
        {
            var problem = await SessionApi.AssertProblem(fourth, HttpStatusCode.TooManyRequests);
            Assert.Equal("urn:session-grains:problem:too-many-jobs", problem.GetProperty("type").GetString());
        }
        Assert.Equal(3, (await List(session.Token)).GetArrayLength());

        using var cancelled = await _api.Send(HttpMethod.Delete, $"/sessions/current/jobs/{first}", session.Token);
        Assert.Equal(HttpStatusCode.OK, cancelled.StatusCode);
        Assert.Equal("cancelled", JsonDocument.Parse(await cancelled.Content.ReadAsStringAsync()).RootElement.GetProperty("status").GetString());
        await socket.WaitFor(e => e.GetProperty("type").GetString() == "job.cancelled" && e.GetProperty("job").GetProperty("id").GetString() == first,
            TimeSpan.FromSeconds(20), "job.cancelled");
    }

    [Fact]
    public async Task Ending_the_session_discards_its_jobs_and_their_output()
    {
        var session = await _api.Create();
        var id = await Start(session.Token, JobDriver.RenderInput(seed: 3, frames: 400, iterations: 3000), null);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while ((await JobDriver.Get(_api, session.Token, id)).OutputBytes == 0 && DateTime.UtcNow < deadline) await Task.Delay(100);
        Assert.True((await JobDriver.Get(_api, session.Token, id)).OutputBytes > 0, "no checkpoint within 30 s");

        using var deleted = await _api.Send(HttpMethod.Delete, "/sessions/current", session.Token);
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        using var gone = await _api.Send(HttpMethod.Get, $"/sessions/current/jobs/{id}/output", session.Token);
        await SessionApi.AssertProblem(gone, HttpStatusCode.NotFound);
        var job = await frontEnd.Grains.GetGrain<IJobGrain>(JobKeys.GrainKey(session.Id, id)).Read(0, 1024);
        Assert.Equal(SessionStatus.JobNotFound, job.Status);
    }

    [Fact]
    public async Task Expiry_of_the_session_discards_its_running_job()
    {
        var session = await _api.Create("""{"idleTimeoutSeconds":2}""");
        var id = await Start(session.Token, JobDriver.RenderInput(seed: 4, frames: 400, iterations: 3000), null);
        var job = frontEnd.Grains.GetGrain<IJobGrain>(JobKeys.GrainKey(session.Id, id));
        // Job calls are not session access: nothing here keeps the session alive.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while ((await job.Get()).Status != SessionStatus.JobNotFound)
        {
            Assert.True(DateTime.UtcNow < deadline, "the job outlived its session by 20 s");
            await Task.Delay(200);
        }
        using var gone = await _api.Send(HttpMethod.Get, "/sessions/current", session.Token);
        await SessionApi.AssertProblem(gone, HttpStatusCode.NotFound);
    }

    private async Task<string> Start(string token, string body, string? idempotencyKey)
    {
        using var response = await _api.Send(HttpMethod.Post, "/sessions/current/jobs", token, SessionApi.Json(body), r =>
        {
            if (idempotencyKey is not null) r.Headers.Add("Idempotency-Key", idempotencyKey);
        });
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, text);
        return JsonDocument.Parse(text).RootElement.GetProperty("id").GetString()!;
    }

    private async Task<JsonElement> List(string token)
    {
        using var response = await _api.Send(HttpMethod.Get, "/sessions/current/jobs", token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("jobs").Clone();
    }

    private static ByteArrayContent Upload(byte[] bytes)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        return content;
    }
}
