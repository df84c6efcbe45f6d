using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;
using SessionGrains.Grains.Jobs;
using SessionGrains.Interfaces;
using SessionGrains.Tests.Infrastructure;
using Xunit;

namespace SessionGrains.Tests.Jobs;

/// <summary>One job as the tests see it through the API.</summary>
public sealed record JobSample(DateTime At, string Status, double Progress, int Checkpoints, long OutputBytes, string? Silo, int Resumes, string? Error, long? ResumedFromBytes)
{
    public static JobSample Of(JsonElement job) => new(
        DateTime.UtcNow, job.GetProperty("status").GetString()!, job.GetProperty("progress").GetDouble(), job.GetProperty("checkpoints").GetInt32(),
        job.GetProperty("outputBytes").GetInt64(), job.GetProperty("placement").GetProperty("silo").GetString(), job.GetProperty("resumes").GetInt32(),
        job.TryGetProperty("error", out var e) && e.ValueKind == JsonValueKind.String ? e.GetString() : null,
        job.TryGetProperty("resumedFromBytes", out var r) && r.ValueKind == JsonValueKind.Number ? r.GetInt64() : null);
}

/// <summary>Starts jobs, polls them, and reads their output like a client that resumes with Range when cut off.</summary>
public static class JobDriver
{
    public static string RenderInput(int seed, int frames, int width = 160, int height = 120, int iterations = 1500) =>
        $"{{\"kind\":\"render\",\"input\":{{\"seed\":{seed},\"frames\":{frames},\"width\":{width},\"height\":{height},\"iterations\":{iterations}}}}}";

    /// <summary>The bytes of an uninterrupted run of the render kind, computed here step by step.</summary>
    public static byte[] Reference(string startJson)
    {
        using var document = JsonDocument.Parse(startJson);
        var input = document.RootElement.GetProperty("input");
        var kind = new RenderKind();
        var plan = kind.Plan(new JobRequest(input, 0, 65536));
        using var output = new MemoryStream();
        byte[]? state = null;
        for (var n = 0; n < plan.Steps; n++)
        {
            var result = kind.Run(new JobStep(input, n, plan.Steps, state, ReadOnlyMemory<byte>.Empty, CancellationToken.None));
            output.Write(result.Output);
            state = result.State;
        }
        Assert.Equal(plan.OutputLength, output.Length);
        return output.ToArray();
    }

    public static async Task<JsonElement> Start(SessionApi api, string token, string startJson)
    {
        using var response = await api.Send(HttpMethod.Post, "/sessions/current/jobs", token, SessionApi.Json(startJson));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"POST /sessions/current/jobs answered {(int)response.StatusCode}: {text}");
        Assert.StartsWith("/sessions/current/jobs/", response.Headers.Location!.OriginalString);
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    public static async Task<JobSample> Get(SessionApi api, string token, string id)
    {
        using var response = await api.Send(HttpMethod.Get, $"/sessions/current/jobs/{id}", token);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET job answered {(int)response.StatusCode}: {text}");
        return JobSample.Of(JsonDocument.Parse(text).RootElement);
    }

    public static string Sha256(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>Polls a job every 100 ms until it ends or <paramref name="stop"/>, keeping every sample.</summary>
    public static async Task Poll(SessionApi api, string token, string id, ConcurrentQueue<JobSample> samples, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                var sample = await Get(api, token, id);
                samples.Enqueue(sample);
                if (sample.Status is "succeeded" or "failed" or "cancelled") return;
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or Xunit.Sdk.XunitException)
            {
                // A front end busy with a failover: the next poll tells.
            }
            await Task.Delay(100, CancellationToken.None);
        }
    }
}

/// <summary>
/// Reads a job's output while it is produced. When told to (<see cref="CutOff"/>) or when the connection fails, it
/// drops its response and resumes with <c>Range: bytes=N-</c> and <c>If-Range</c> at the byte it reached, from the
/// next front end in turn; every response must be 206 with the right Content-Range.
/// </summary>
public sealed class ResumingReader(IReadOnlyList<HttpClient> frontEnds, string token, string jobId)
{
    private readonly MemoryStream _bytes = new();
    private CancellationTokenSource _current = new();
    private int _frontEnd;

    public int Resumes { get; private set; }

    public List<string> Log { get; } = [];

    public byte[] Bytes => _bytes.ToArray();

    public long Received => Interlocked.Read(ref _received);

    private long _received;

    /// <summary>Cuts the current response as a dead front end would.</summary>
    public void CutOff() => _current.Cancel();

    public async Task Run(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        string? etag = null;
        long? length = null;
        while (DateTime.UtcNow < deadline && (length is null || _bytes.Length < length))
        {
            _current = new CancellationTokenSource(deadline - DateTime.UtcNow);
            var client = frontEnds[_frontEnd % frontEnds.Count];
            using var request = new HttpRequestMessage(HttpMethod.Get, $"/sessions/current/jobs/{jobId}/output");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            if (_bytes.Length > 0)
            {
                request.Headers.Range = new RangeHeaderValue(_bytes.Length, null);
                request.Headers.IfRange = new RangeConditionHeaderValue(new EntityTagHeaderValue(etag!));
            }
            try
            {
                using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, _current.Token);
                if (_bytes.Length > 0)
                {
                    Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
                    Assert.Equal(_bytes.Length, response.Content.Headers.ContentRange!.From);
                    Assert.Equal(length, response.Content.Headers.ContentRange.Length);
                }
                else
                {
                    Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                    etag = response.Headers.ETag!.Tag;
                    length = response.Content.Headers.ContentLength;
                }
                Assert.Equal(etag, response.Headers.ETag!.Tag);
                await using var body = await response.Content.ReadAsStreamAsync(_current.Token);
                var buffer = new byte[16 * 1024];
                int read;
                while ((read = await body.ReadAsync(buffer, _current.Token)) > 0)
                {
                    _bytes.Write(buffer, 0, read);
                    Interlocked.Add(ref _received, read);
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or IOException)
            {
                Log.Add($"{DateTime.UtcNow:HH:mm:ss.fff} cut at {_bytes.Length} on front end {_frontEnd % frontEnds.Count + 1}: {ex.GetType().Name}");
            }
            if (length is null || _bytes.Length < length)
            {
                Resumes++;
                _frontEnd++;
                await Task.Delay(50);
            }
        }
        Assert.True(length is not null && _bytes.Length == length, $"read {_bytes.Length} of {length} bytes before the deadline; {string.Join("; ", Log)}");
    }
}
