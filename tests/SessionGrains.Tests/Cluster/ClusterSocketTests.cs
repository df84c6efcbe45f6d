using System.Net;
using System.Text.Json;
using SessionGrains.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace SessionGrains.Tests.Cluster;

/// <summary>WebSockets without sticky sessions: any front end, across front-end and silo failures.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ClusterSocketTests(LocalCluster cluster, ITestOutputHelper output)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Sockets_on_two_front_ends_see_each_others_changes_and_messages()
    {
        using var http1 = cluster.CreateClient(1);
        using var http2 = cluster.CreateClient(2);
        var session = await new SessionApi(http1).Create();
        await AssertBothFrontEndsSeeEveryEvent(cluster, session.Token, writeThrough: http1, messageThrough: http2, "from 2", Wait);
    }

    /// <summary>
    /// Sockets on front ends 1 and 2: a PUT through <paramref name="writeThrough"/> and a message (<paramref name="message"/>)
    /// through <paramref name="messageThrough"/> reach both, as seq 1 and 2, in order and nothing else.
    /// </summary>
    internal static async Task AssertBothFrontEndsSeeEveryEvent(LocalCluster cluster, string token, HttpClient writeThrough, HttpClient messageThrough, string message, TimeSpan wait)
    {
        await using var socket1 = await EventSocket.Connect(cluster.FrontEndUrls[0], token);
        await using var socket2 = await EventSocket.Connect(cluster.FrontEndUrls[1], token);

        using (var put = await new SessionApi(writeThrough).Send(HttpMethod.Put, "/sessions/current/data/written", token, SessionApi.Json("1")))
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        using (var sent = await new SessionApi(messageThrough).Send(HttpMethod.Post, "/sessions/current/messages", token, SessionApi.Json($"\"{message}\"")))
            Assert.Equal(HttpStatusCode.Accepted, sent.StatusCode);

        foreach (var socket in new[] { socket1, socket2 })
        {
            Assert.Equal("changed", (await socket.WaitForSeq(1, wait)).GetProperty("type").GetString());
            Assert.Equal(message, (await socket.WaitForSeq(2, wait)).GetProperty("data").GetString());
            Assert.Equal([1, 2], socket.Seqs);
        }
    }

    /// <summary>
    /// A page reload, over and over: one socket closes while the next opens on the same front end. The old socket's feed
    /// unsubscribes the front end's one observer; reaching the grain after the new feed subscribed, it left the new socket
    /// without pushes until the periodic renewal (15 s), and a busy session's log ran past it (a gap).
    /// </summary>
    [Fact]
    public async Task A_socket_that_replaces_a_closing_one_on_the_same_front_end_gets_each_event_without_waiting_for_the_renewal()
    {
        using var http2 = cluster.CreateClient(2);
        var api = new SessionApi(http2);
        var session = await api.Create();
        var socket = await EventSocket.Connect(cluster.FrontEndUrls[0], session.Token);
        try
        {
            for (var round = 1; round <= 15; round++)
            {
                var closing = socket.DisposeAsync().AsTask();
                socket = await EventSocket.Connect(cluster.FrontEndUrls[0], session.Token, afterSeq: round - 1);
                await closing;
                await Put(api, session.Token, round);
                // A third of the renewal interval: only a live subscription delivers this soon.
                await socket.WaitForSeq(round, TimeSpan.FromSeconds(5));
                Assert.Equal([round], socket.Seqs);
            }
        }
        finally
        {
            await socket.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_client_whose_front_end_was_killed_resumes_on_the_other_with_afterSeq_and_misses_nothing()
    {
        using var http2 = cluster.CreateClient(2);
        var api = new SessionApi(http2);
        var session = await api.Create();
        var socket = await EventSocket.Connect(cluster.FrontEndUrls[0], session.Token);
        try
        {
            for (var i = 1; i <= 5; i++) await Put(api, session.Token, i);
            await socket.WaitForSeq(5, Wait);
            await cluster.KillFrontEnd(1);
            await socket.WaitForClose(Wait);
        }
        finally
        {
            await socket.DisposeAsync();
        }
        var seen = socket.Seqs;
        for (var i = 6; i <= 10; i++) await Put(api, session.Token, i);

        try
        {
            await using var resumed = await EventSocket.Connect(cluster.FrontEndUrls[1], session.Token, afterSeq: seen[^1]);
            await resumed.WaitForSeq(10, Wait);
            Assert.Equal(Enumerable.Range(1, 10).Select(i => (long)i), seen.Concat(resumed.Seqs));
        }
        finally
        {
            await cluster.StartFrontEnd(1);
        }
    }

    [Fact]
    public async Task Events_continue_without_gap_or_duplicate_after_the_silo_hosting_the_session_is_killed()
    {
        using var http1 = cluster.CreateClient(1);
        using var http2 = cluster.CreateClient(2);
        var api = new SessionApi(http1);
        var session = await api.Create();
        using var placement = await api.Send(HttpMethod.Get, "/sessions/current/placement", session.Token);
        var silo = cluster.SiloNumberOf(JsonDocument.Parse(await placement.Content.ReadAsStringAsync()).RootElement.GetProperty("silo").GetString()!);
        await using var socket1 = await EventSocket.Connect(cluster.FrontEndUrls[0], session.Token);
        await using var socket2 = await EventSocket.Connect(cluster.FrontEndUrls[1], session.Token);

        var written = 0;
        var writer = Task.Run(async () =>
        {
            for (var i = 1; i <= 60; i++)
            {
                await Put(new SessionApi(i % 2 == 0 ? http1 : http2), session.Token, i);
                written = i;
                await Task.Delay(100);
            }
        });
        try
        {
            await socket1.WaitForSeq(10, Wait);
            await cluster.KillSilo(silo);
            output.WriteLine($"killed silo {silo} after {written} writes");
            await writer.WaitAsync(TimeSpan.FromSeconds(120));
        }
        finally
        {
            await cluster.StartSilo(silo);
        }

        foreach (var socket in new[] { socket1, socket2 })
        {
            await socket.WaitForSeq(60, Wait);
            Assert.Equal(Enumerable.Range(1, 60).Select(i => (long)i), socket.Seqs);
            Assert.DoesNotContain(socket.Received, e => e.GetProperty("type").GetString() == "gap");
        }
    }

    private static async Task Put(SessionApi api, string token, int value)
    {
        // Step n carries its own idempotency key: retried after a failure, it still applies once.
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                using var response = await api.Send(HttpMethod.Put, "/sessions/current/data/n", token, SessionApi.Json(value.ToString()),
                    r => r.Headers.Add("Idempotency-Key", $"put-{value}"));
                if (response.StatusCode == HttpStatusCode.OK) return;
                Assert.True(attempt < 20, $"PUT {value} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
            }
            catch (HttpRequestException) when (attempt < 20)
            {
            }
            await Task.Delay(250);
        }
    }
}
