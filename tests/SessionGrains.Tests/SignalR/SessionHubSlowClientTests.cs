using System.Diagnostics;
using System.Net;
using System.Text.Json;
using SessionGrains.Tests.Http;
using SessionGrains.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace SessionGrains.Tests.SignalR;

/// <summary>A hub client that stops reading is cut off by its bounded queue; the session's other connections never wait for it.</summary>
[Collection(StandaloneCollection.Name)]
public sealed class SessionHubSlowClientTests(StandaloneFrontEnd frontEnd, ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    private readonly HttpClient _http = frontEnd.CreateClient();

    [Fact]
    public async Task A_stalled_hub_client_is_cut_off_without_delaying_another_and_resumes_with_afterSeq()
    {
        var api = new SessionApi(_http);
        var session = await api.Create();
        await using var stalled = await RawHubSocket.Connect(frontEnd.BaseAddress, session.Token);
        await using var fast = await HubClient.Connect(frontEnd.BaseAddress, session.Token);

        // Large messages fill the stalled client's buffers, then its queue (512 KiB).
        var big = JsonSerializer.Serialize(new string('m', 60_000));
        const int count = 400;
        var latencies = new List<double>(count);
        for (var i = 1; i <= count; i++)
        {
            var sent = Stopwatch.GetTimestamp();
            using (var posted = await api.Send(HttpMethod.Post, "/sessions/current/messages", session.Token, SessionApi.Json(big)))
                Assert.Equal(HttpStatusCode.Accepted, posted.StatusCode);
            await fast.WaitForSeq(i, Wait);
            latencies.Add(Stopwatch.GetElapsedTime(sent).TotalMilliseconds);
        }
        Assert.Equal(Enumerable.Range(1, count).Select(i => (long)i), fast.Seqs);
        latencies.Sort();
        output.WriteLine($"other hub client, post to event: p50 {latencies[count / 2]:F1} ms, max {latencies[^1]:F1} ms while one stalled");

        var seen = await stalled.ReadToEnd(TimeSpan.FromSeconds(30));
        output.WriteLine($"the stalled client read {seen.Count} events before its connection ended");
        Assert.True(seen.Count < count, "the stalled client should have been cut off");
        Assert.Equal(Enumerable.Range(1, seen.Count).Select(i => (long)i), seen);

        // It resumes where it stopped: the rest, or a gap first where the log (64 events, 256 KiB of messages) no longer reaches.
        var after = seen.Count > 0 ? seen[^1] : 0;
        await using var resumed = await HubClient.Connect(frontEnd.BaseAddress, session.Token, afterSeq: after);
        await resumed.WaitForSeq(count, Wait);
        var replayed = resumed.Seqs;
        if (replayed[0] == after + 1) Assert.Equal(Enumerable.Range((int)after + 1, count - (int)after).Select(i => (long)i), replayed);
        else Assert.Equal("gap", resumed.Received[0].GetProperty("type").GetString());
        Assert.True(replayed.SequenceEqual(replayed.Order()) && replayed.Distinct().Count() == replayed.Count);
    }

    public void Dispose() => _http.Dispose();
}
