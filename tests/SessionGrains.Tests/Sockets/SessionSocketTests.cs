using System.Diagnostics;
using System.Net;
using System.Net.WebSockets;
using System.Text.Json;
using SessionGrains.Tests.Http;
using SessionGrains.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace SessionGrains.Tests.Sockets;

[Collection(StandaloneCollection.Name)]
public sealed class SessionSocketTests(StandaloneFrontEnd frontEnd, ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    private readonly HttpClient _http = frontEnd.CreateClient();
    private SessionApi Api => new(_http);

    [Fact]
    public async Task A_socket_receives_a_changed_event_for_every_data_change_and_the_posted_messages()
    {
        var session = await Api.Create();
        await using var socket = await EventSocket.Connect(frontEnd.BaseAddress, session.Token);
        await Put(session.Token, "theme", "\"dark\"");
        using (var posted = await Api.Send(HttpMethod.Post, "/sessions/current/messages", session.Token, SessionApi.Json("""{"text":"hi"}""")))
        {
            Assert.Equal(HttpStatusCode.Accepted, posted.StatusCode);
        }

        var changed = await socket.WaitForSeq(1, Wait);
        Assert.Equal("changed", changed.GetProperty("type").GetString());
        Assert.Equal(2, changed.GetProperty("version").GetInt64());
        Assert.Equal("theme", changed.GetProperty("keys")[0].GetString());
        var message = await socket.WaitForSeq(2, Wait);
        Assert.Equal("message", message.GetProperty("type").GetString());
        Assert.Equal("hi", message.GetProperty("data").GetProperty("text").GetString());
    }

    [Fact]
    public async Task Reconnecting_with_afterSeq_replays_every_event_missed_while_disconnected()
    {
        var session = await Api.Create();
        await using (var first = await EventSocket.Connect(frontEnd.BaseAddress, session.Token))
        {
            await Put(session.Token, "a", "1");
            await first.WaitForSeq(1, Wait);
        }
        for (var i = 2; i <= 6; i++) await Put(session.Token, "a", i.ToString());

        await using var resumed = await EventSocket.Connect(frontEnd.BaseAddress, session.Token, afterSeq: 1);
        await Put(session.Token, "a", "7");
        await resumed.WaitForSeq(7, Wait);
        Assert.Equal([2, 3, 4, 5, 6, 7], resumed.Seqs);
    }

    [Fact]
    public async Task Resuming_from_before_the_kept_log_reports_a_gap()
    {
        var session = await Api.Create();
        for (var i = 1; i <= 100; i++) await Put(session.Token, "a", i.ToString());   // the log keeps 64
        await using var socket = await EventSocket.Connect(frontEnd.BaseAddress, session.Token, afterSeq: 3);
        var gap = await socket.WaitFor(e => e.GetProperty("type").GetString() == "gap", Wait, "gap");
        Assert.Equal(3, gap.GetProperty("afterSeq").GetInt64());
        await socket.WaitForSeq(100, Wait);
        Assert.Equal(Enumerable.Range(37, 64).Select(i => (long)i), socket.Seqs);
    }

    [Fact]
    public async Task A_slow_consumer_does_not_delay_another_sockets_events_and_resumes_after_its_1013_close()
    {
        var session = await Api.Create();
        await using var slow = await EventSocket.Connect(frontEnd.BaseAddress, session.Token);
        await using var fast = await EventSocket.Connect(frontEnd.BaseAddress, session.Token);
        await slow.Stall();

        // Large messages fill the stalled client's TCP buffers and then its bounded queue.
        var big = JsonSerializer.Serialize(new string('m', 60_000));
        var latencies = new List<double>();
        const int count = 700;
        for (var i = 1; i <= count; i++)
        {
            var sent = Stopwatch.GetTimestamp();
            using (var posted = await Api.Send(HttpMethod.Post, "/sessions/current/messages", session.Token, SessionApi.Json(big)))
            {
                Assert.Equal(HttpStatusCode.Accepted, posted.StatusCode);
            }
            await fast.WaitForSeq(i, Wait);
            latencies.Add(Stopwatch.GetElapsedTime(sent).TotalMilliseconds);
        }
        Assert.Equal(Enumerable.Range(1, count).Select(i => (long)i), fast.Seqs);
        latencies.Sort();
        output.WriteLine($"fast socket, post to event: p50 {latencies[count / 2]:F1} ms, max {latencies[^1]:F1} ms while the other stalled");

        slow.Resume();
        Assert.Equal((WebSocketCloseStatus)1013, await slow.WaitForClose(TimeSpan.FromSeconds(30)));
        var seen = slow.Seqs;
        Assert.True(seen.Count < count, "the stalled socket should have been cut off");
        Assert.Equal(Enumerable.Range(1, seen.Count).Select(i => (long)i), seen);

        // The client resumes where it stopped and misses nothing (the log keeps the newest 64 events).
        await using var resumed = await EventSocket.Connect(frontEnd.BaseAddress, session.Token, afterSeq: seen[^1]);
        await resumed.WaitForSeq(count, Wait);
        var replayed = resumed.Seqs;
        if (replayed[0] == seen[^1] + 1) Assert.Equal(Enumerable.Range((int)seen[^1] + 1, count - (int)seen[^1]).Select(i => (long)i), replayed);
        else Assert.Contains(resumed.Received, e => e.GetProperty("type").GetString() == "gap");
    }

    [Fact]
    public async Task Every_change_reaches_two_sockets_in_order_and_the_latency_is_reported()
    {
        var session = await Api.Create();
        await using var first = await EventSocket.Connect(frontEnd.BaseAddress, session.Token);
        await using var second = await EventSocket.Connect(frontEnd.BaseAddress, session.Token);
        const int count = 500;
        var latencies = new List<double>(count);
        for (var i = 1; i <= count; i++)
        {
            var started = Stopwatch.GetTimestamp();
            using (var posted = await Api.Send(HttpMethod.Post, "/sessions/current/messages", session.Token, SessionApi.Json(i.ToString())))
            {
                Assert.Equal(HttpStatusCode.Accepted, posted.StatusCode);
            }
            await first.WaitForSeq(i, Wait);
            await second.WaitForSeq(i, Wait);
            latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
        Assert.Equal(Enumerable.Range(1, count).Select(i => (long)i), first.Seqs);
        Assert.Equal(Enumerable.Range(1, count).Select(i => (long)i), second.Seqs);
        latencies.Sort();
        output.WriteLine($"POST message to event on both sockets (includes the durable write): p50 {latencies[count / 2]:F2} ms, p99 {latencies[count * 99 / 100]:F2} ms");
    }

    [Fact]
    public async Task Ping_is_answered_with_pong_and_anything_else_closes_the_socket_with_1003()
    {
        var session = await Api.Create();
        await using var socket = await EventSocket.Connect(frontEnd.BaseAddress, session.Token);
        await socket.Send("""{"type":"ping"}""");
        await socket.WaitFor(e => e.GetProperty("type").GetString() == "pong", Wait, "pong");

        await socket.Send("""{"type":"subscribe","to":"everything"}""");
        Assert.Equal(WebSocketCloseStatus.InvalidMessageType, await socket.WaitForClose(Wait));
    }

    [Fact]
    public async Task Deleting_the_session_sends_deleted_and_closes_the_socket_normally()
    {
        var session = await Api.Create();
        await using var socket = await EventSocket.Connect(frontEnd.BaseAddress, session.Token);
        using (await Api.Send(HttpMethod.Delete, "/sessions/current", session.Token)) { }
        await socket.WaitFor(e => e.GetProperty("type").GetString() == "deleted", Wait, "deleted");
        Assert.Equal(WebSocketCloseStatus.NormalClosure, await socket.WaitForClose(Wait));
    }

    [Fact]
    public async Task An_expiring_session_sends_expired_and_closes_the_socket_normally()
    {
        var session = await Api.Create("""{"idleTimeoutSeconds":2}""");
        await using var socket = await EventSocket.Connect(frontEnd.BaseAddress, session.Token);
        await socket.WaitFor(e => e.GetProperty("type").GetString() == "expired", TimeSpan.FromSeconds(15), "expired");
        Assert.Equal(WebSocketCloseStatus.NormalClosure, await socket.WaitForClose(Wait));
    }

    [Fact]
    public async Task Client_pings_keep_the_session_alive()
    {
        var session = await Api.Create("""{"idleTimeoutSeconds":2}""");
        await using var socket = await EventSocket.Connect(frontEnd.BaseAddress, session.Token);
        var until = DateTime.UtcNow.AddSeconds(5);
        while (DateTime.UtcNow < until)
        {
            await socket.Send("""{"type":"ping"}""");
            await Task.Delay(400);
        }
        await Api.Get(session.Token);
    }

    [Fact]
    public async Task More_sockets_than_the_limit_are_refused_with_429()
    {
        var session = await Api.Create();
        var sockets = new List<EventSocket>();
        try
        {
            for (var i = 0; i < 16; i++) sockets.Add(await EventSocket.Connect(frontEnd.BaseAddress, session.Token));
            var refused = await Assert.ThrowsAsync<WebSocketException>(() => EventSocket.Connect(frontEnd.BaseAddress, session.Token));
            Assert.Contains("429", refused.Message);
        }
        finally
        {
            foreach (var socket in sockets) await socket.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_forged_token_is_refused_before_the_upgrade_and_activates_no_grain()
    {
        var forgedId = Convert.ToBase64String(Guid.NewGuid().ToByteArray()).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var forged = forgedId + "." + new string('A', 43);
        var witness = await Api.Create();
        await Api.Get(witness.Token);   // activated by its first call after its creation
        var refused = await Assert.ThrowsAsync<WebSocketException>(() => EventSocket.Connect(frontEnd.BaseAddress, forged));
        Assert.Contains("401", refused.Message);
        var active = await frontEnd.ActiveSessionIds();
        Assert.Contains(witness.Id, active);
        Assert.DoesNotContain(forgedId, active);
    }

    private async Task Put(string token, string key, string json)
    {
        using var response = await Api.Send(HttpMethod.Put, $"/sessions/current/data/{key}", token, SessionApi.Json(json));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    public void Dispose() => _http.Dispose();
}
