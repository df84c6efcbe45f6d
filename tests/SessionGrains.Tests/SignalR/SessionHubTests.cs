using System.Net;
using System.Net.WebSockets;
using SessionGrains.Tests.Http;
using SessionGrains.Tests.Infrastructure;
using Xunit;

namespace SessionGrains.Tests.SignalR;

/// <summary><c>/hubs/session</c> with the official .NET client against a standalone front end.</summary>
[Collection(StandaloneCollection.Name)]
public sealed class SessionHubTests(StandaloneFrontEnd frontEnd) : IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    private readonly HttpClient _http = frontEnd.CreateClient();
    private SessionApi Api => new(_http);

    [Fact]
    public async Task Each_event_arrives_as_the_same_JSON_object_the_raw_WebSocket_sends()
    {
        var session = await Api.Create();
        await using var hub = await HubClient.Connect(frontEnd.BaseAddress, session.Token);
        await using var socket = await EventSocket.Connect(frontEnd.BaseAddress, session.Token);
        await Put(session.Token, "theme", "\"dark\"");
        await Post(session.Token, """{"text":"hi","n":[1,2]}""");

        for (var seq = 1; seq <= 2; seq++)
        {
            var fromHub = await hub.WaitForSeq(seq, Wait);
            var fromSocket = await socket.WaitForSeq(seq, Wait);
            Assert.Equal(fromSocket.GetRawText(), fromHub.GetRawText());
        }
        Assert.Equal("changed", hub.Received[0].GetProperty("type").GetString());
        Assert.Equal("hi", hub.Received[1].GetProperty("data").GetProperty("text").GetString());
        Assert.Equal([1, 2], hub.Seqs);
    }

    [Fact]
    public async Task Reconnecting_with_afterSeq_replays_every_missed_event_in_order_then_live_ones()
    {
        var session = await Api.Create();
        await using (var first = await HubClient.Connect(frontEnd.BaseAddress, session.Token))
        {
            await Put(session.Token, "a", "1");
            await first.WaitForSeq(1, Wait);
        }
        for (var i = 2; i <= 6; i++) await Put(session.Token, "a", i.ToString());

        await using var resumed = await HubClient.Connect(frontEnd.BaseAddress, session.Token, afterSeq: 1);
        await Put(session.Token, "a", "7");
        await resumed.WaitForSeq(7, Wait);
        Assert.Equal([2, 3, 4, 5, 6, 7], resumed.Seqs);
        Assert.False(resumed.SawGap);
    }

    [Fact]
    public async Task Resuming_from_before_the_kept_log_sends_gap_first()
    {
        var session = await Api.Create();
        for (var i = 1; i <= 100; i++) await Put(session.Token, "a", i.ToString());   // the log keeps 64
        await using var hub = await HubClient.Connect(frontEnd.BaseAddress, session.Token, afterSeq: 3);
        await hub.WaitForSeq(100, Wait);
        var gap = hub.Received[0];
        Assert.Equal("""{"type":"gap","afterSeq":3}""", gap.GetRawText());
        Assert.Equal(Enumerable.Range(37, 64).Select(i => (long)i), hub.Seqs);
    }

    [Fact]
    public async Task Deleting_the_session_sends_deleted_and_ends_the_connection()
    {
        var session = await Api.Create();
        await using var hub = await HubClient.Connect(frontEnd.BaseAddress, session.Token);
        using (var deleted = await Api.Send(HttpMethod.Delete, "/sessions/current", session.Token)) Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        var e = await hub.WaitForSeq(1, Wait);
        Assert.Equal("deleted", e.GetProperty("type").GetString());
        await hub.Closed.WaitAsync(Wait);

        // The session is gone: a new connection is refused before it is accepted.
        var refused = await Assert.ThrowsAnyAsync<Exception>(() => HubClient.Connect(frontEnd.BaseAddress, session.Token, afterSeq: 1));
        Assert.Contains("404", refused.ToString());
    }

    [Fact]
    public async Task An_expiring_session_sends_expired_and_ends_the_connection_while_Ping_keeps_another_alive()
    {
        var idle = await Api.Create("""{"idleTimeoutSeconds":2}""");
        var pinged = await Api.Create("""{"idleTimeoutSeconds":2}""");
        await using var idleHub = await HubClient.Connect(frontEnd.BaseAddress, idle.Token);
        await using var pingedHub = await HubClient.Connect(frontEnd.BaseAddress, pinged.Token);
        // Pings go on until the checks are done: the idle session's expiry may be noticed well after its 2 s, and the
        // pinged session must not lapse meanwhile for want of pings.
        using var stopPings = new CancellationTokenSource();
        var pings = Task.Run(async () =>
        {
            while (!stopPings.IsCancellationRequested)
            {
                await pingedHub.Ping();
                await Task.Delay(400);
            }
        });
        var until = DateTime.UtcNow.AddSeconds(5);
        await idleHub.WaitFor(e => e.GetProperty("type").GetString() == "expired", TimeSpan.FromSeconds(15), "expired");
        await idleHub.Closed.WaitAsync(Wait);
        if (until > DateTime.UtcNow) await Task.Delay(until - DateTime.UtcNow); // past two idle timeouts
        await Api.Get(pinged.Token);
        stopPings.Cancel();
        await pings;
        Assert.Empty(pingedHub.Received);
        Assert.False(pingedHub.Closed.IsCompleted);
    }

    [Fact]
    public async Task Hub_connections_and_raw_sockets_share_the_per_session_limit_and_the_next_one_is_refused_with_429()
    {
        var session = await Api.Create();
        var sockets = new List<EventSocket>();
        var hubs = new List<HubClient>();
        try
        {
            for (var i = 0; i < 8; i++)
            {
                sockets.Add(await EventSocket.Connect(frontEnd.BaseAddress, session.Token));
                hubs.Add(await HubClient.Connect(frontEnd.BaseAddress, session.Token));
            }
            var refused = await Assert.ThrowsAnyAsync<Exception>(() => HubClient.Connect(frontEnd.BaseAddress, session.Token));
            Assert.Contains("429", refused.ToString());

            // A closed hub connection gives its place back on this front end as soon as the server has ended it.
            await hubs[0].DisposeAsync();
            hubs.RemoveAt(0);
            var deadline = DateTime.UtcNow + Wait;
            while (true)
            {
                try
                {
                    hubs.Add(await HubClient.Connect(frontEnd.BaseAddress, session.Token));
                    break;
                }
                catch (Exception ex) when (ex.ToString().Contains("429") && DateTime.UtcNow < deadline)
                {
                    await Task.Delay(50);
                }
            }
        }
        finally
        {
            foreach (var socket in sockets) await socket.DisposeAsync();
            foreach (var hub in hubs) await hub.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_missing_or_forged_token_is_refused_with_401_before_anything_is_accepted()
    {
        var session = await Api.Create();
        var forged = session.Token[..^4] + (session.Token.EndsWith("AAAA", StringComparison.Ordinal) ? "BBBB" : "AAAA");
        var thrown = await Assert.ThrowsAnyAsync<Exception>(() => HubClient.Connect(frontEnd.BaseAddress, forged));
        Assert.Contains("401", thrown.ToString());

        Assert.Equal(HttpStatusCode.Unauthorized, await UpgradeStatus(null, null));
        Assert.Equal(HttpStatusCode.Unauthorized, await UpgradeStatus("access_token=" + Uri.EscapeDataString(forged), null));
        // A bad header never falls back to a good query token or cookie.
        Assert.Equal(HttpStatusCode.Unauthorized, await UpgradeStatus("access_token=" + Uri.EscapeDataString(session.Token), s => s.SetRequestHeader("Authorization", "Bearer " + forged)));
        using var negotiate = await _http.PostAsync("/hubs/session/negotiate?negotiateVersion=1", null);
        await SessionApi.AssertProblem(negotiate, HttpStatusCode.Unauthorized);

        // The query token opens the hub only: a URL token is not accepted by the other routes.
        using var get = await _http.GetAsync("/sessions/current?access_token=" + Uri.EscapeDataString(session.Token));
        await SessionApi.AssertProblem(get, HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task A_cookie_authenticated_connection_from_another_site_is_refused_with_403_like_the_raw_WebSocket()
    {
        var session = await Api.Create();
        var own = frontEnd.BaseAddress.GetLeftPart(UriPartial.Authority);
        Action<ClientWebSocketOptions> cookie(string origin) => s =>
        {
            s.SetRequestHeader("Cookie", "sid=" + session.Token);
            s.SetRequestHeader("Origin", origin);
        };
        Assert.Equal(HttpStatusCode.Forbidden, await UpgradeStatus(null, cookie("http://evil.example")));
        Assert.Equal(HttpStatusCode.Forbidden, await UpgradeStatus(null, cookie("http://127.0.0.1:1")));
        Assert.Equal(HttpStatusCode.SwitchingProtocols, await UpgradeStatus(null, cookie(own)));
        // A token the page's script sent itself is no ambient credential: any origin may use it, as with Bearer.
        Assert.Equal(HttpStatusCode.SwitchingProtocols, await UpgradeStatus("access_token=" + Uri.EscapeDataString(session.Token), s => s.SetRequestHeader("Origin", "http://evil.example")));
        Assert.Equal(HttpStatusCode.SwitchingProtocols, await UpgradeStatus(null, s =>
        {
            s.SetRequestHeader("Authorization", "Bearer " + session.Token);
            s.SetRequestHeader("Origin", "http://evil.example");
        }));
    }

    [Fact]
    public async Task A_bad_afterSeq_is_400_and_opens_nothing()
    {
        var session = await Api.Create();
        foreach (var bad in new[] { "-1", "x", "1.5", "1&afterSeq=2" })
        {
            Assert.Equal(HttpStatusCode.BadRequest, await UpgradeStatus("afterSeq=" + bad + "&access_token=" + Uri.EscapeDataString(session.Token), null));
        }
        using var negotiate = await Api.Send(HttpMethod.Post, "/hubs/session/negotiate?negotiateVersion=1&afterSeq=x", session.Token);
        await SessionApi.AssertProblem(negotiate, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Negotiation_offers_only_WebSockets_and_other_transports_are_refused()
    {
        var session = await Api.Create();
        using var negotiate = await Api.Send(HttpMethod.Post, "/hubs/session/negotiate?negotiateVersion=1", session.Token);
        Assert.Equal(HttpStatusCode.OK, negotiate.StatusCode);
        var transports = System.Text.Json.JsonDocument.Parse(await negotiate.Content.ReadAsStringAsync()).RootElement.GetProperty("availableTransports");
        Assert.Equal(["WebSockets"], transports.EnumerateArray().Select(t => t.GetProperty("transport").GetString()));
        var id = System.Text.Json.JsonDocument.Parse(await negotiate.Content.ReadAsStringAsync()).RootElement.GetProperty("connectionToken").GetString();

        // Long polling and server-sent events on that connection: refused, nothing held.
        using var poll = await Api.Send(HttpMethod.Get, "/hubs/session?id=" + id, session.Token);
        Assert.InRange((int)poll.StatusCode, 400, 499);
        using var events = await Api.Send(HttpMethod.Get, "/hubs/session?id=" + id, session.Token, configure: r => r.Headers.Add("Accept", "text/event-stream"));
        Assert.InRange((int)events.StatusCode, 400, 499);
    }

    /// <summary>The HTTP status of a raw WebSocket upgrade to <c>/hubs/session</c> (101 when accepted).</summary>
    private async Task<HttpStatusCode> UpgradeStatus(string? query, Action<ClientWebSocketOptions>? configure)
    {
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        configure?.Invoke(socket.Options);
        var uri = new UriBuilder(frontEnd.BaseAddress) { Scheme = "ws", Path = "/hubs/session", Query = query ?? "" }.Uri;
        using var timeout = new CancellationTokenSource(Wait);
        try
        {
            await socket.ConnectAsync(uri, timeout.Token);
        }
        catch (WebSocketException)
        {
            return socket.HttpStatusCode;
        }
        await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", timeout.Token);
        return socket.HttpStatusCode;
    }

    private async Task Put(string token, string key, string json)
    {
        using var response = await Api.Send(HttpMethod.Put, $"/sessions/current/data/{key}", token, SessionApi.Json(json));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private async Task Post(string token, string json)
    {
        using var response = await Api.Send(HttpMethod.Post, "/sessions/current/messages", token, SessionApi.Json(json));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    public void Dispose() => _http.Dispose();
}
