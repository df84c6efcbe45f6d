using System.Net;
using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using SessionGrains.Client.Sockets;
using SessionGrains.Tests.Infrastructure;
using Xunit;

namespace SessionGrains.Tests.Security;

/// <summary>A front end with two WebSocket places, a 64 KiB queue per socket and a 2 s send timeout.</summary>
public sealed class TwoSocketFrontEnd : StandaloneFrontEnd
{
    protected override IReadOnlyDictionary<string, string> Settings { get; } = new Dictionary<string, string>
    {
        ["WebSockets:MaxSockets"] = "2",
        ["WebSockets:QueueBytes"] = "65536",
        ["WebSockets:SendTimeout"] = "00:00:02",
    };
}

/// <summary>A front end whose sockets queue at most 64 KiB, with a send timeout long enough not to matter.</summary>
public sealed class SmallQueueFrontEnd : StandaloneFrontEnd
{
    protected override IReadOnlyDictionary<string, string> Settings { get; } = new Dictionary<string, string>
    {
        ["WebSockets:QueueBytes"] = "65536",
        ["WebSockets:SendTimeout"] = "00:01:00",
    };
}

/// <summary>
/// Finding: a WebSocket client that never reads pinned up to 512 queued events per socket (counted in messages, not
/// bytes), with no send timeout and no cap on sockets per front end.
/// </summary>
public sealed class SocketLimitTests(TwoSocketFrontEnd frontEnd) : IClassFixture<TwoSocketFrontEnd>, IDisposable
{
    private static readonly string Big = JsonSerializer.Serialize(new string('m', 60_000));
    private readonly HttpClient _http = frontEnd.CreateClient();
    private SessionApi Api => new(_http);
    private SocketCapacity Capacity => frontEnd.Services.GetRequiredService<SocketCapacity>();

    [Fact]
    public async Task An_upgrade_past_the_front_ends_socket_cap_answers_503_problem_before_the_upgrade()
    {
        await WaitUntil(() => Capacity.Open == 0, TimeSpan.FromSeconds(30));
        var first = await Api.Create();
        var second = await Api.Create();
        await using (await EventSocket.Connect(frontEnd.BaseAddress, first.Token))
        await using (await EventSocket.Connect(frontEnd.BaseAddress, second.Token))
        {
            using var refused = await Upgrade(first.Token);
            var problem = await SessionApi.AssertProblem(refused, HttpStatusCode.ServiceUnavailable);
            Assert.Equal("urn:session-grains:problem:server-busy", problem.GetProperty("type").GetString());
            Assert.NotNull(refused.Headers.RetryAfter);
        }
        await WaitUntil(() => Capacity.Open == 0, TimeSpan.FromSeconds(30));
        await using var again = await EventSocket.Connect(frontEnd.BaseAddress, first.Token);
    }

    [Fact]
    public async Task A_client_that_never_reads_is_cut_off_after_the_send_timeout()
    {
        await WaitUntil(() => Capacity.Open == 0, TimeSpan.FromSeconds(30));
        var session = await Api.Create();
        using var deaf = new ClientWebSocket();
        deaf.Options.SetRequestHeader("Authorization", "Bearer " + session.Token);
        await deaf.ConnectAsync(new UriBuilder(frontEnd.BaseAddress) { Scheme = "ws", Path = "/sessions/current/ws" }.Uri, CancellationToken.None);
        Assert.Equal(1, Capacity.Open);

        // Far more than the connection's buffers hold, far fewer than 512 messages: only a byte bound or a send timeout ends it.
        for (var i = 0; i < 250 && Capacity.Open > 0; i++)
        {
            using var posted = await Api.Send(HttpMethod.Post, "/sessions/current/messages", session.Token, SessionApi.Json(Big));
            Assert.Equal(HttpStatusCode.Accepted, posted.StatusCode);
        }
        await WaitUntil(() => Capacity.Open == 0, TimeSpan.FromSeconds(20));
    }

    private async Task<HttpResponseMessage> Upgrade(string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/sessions/current/ws");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        request.Headers.Connection.Add("Upgrade");
        request.Headers.Upgrade.Add(new ProductHeaderValue("websocket"));
        request.Headers.Add("Sec-WebSocket-Version", "13");
        request.Headers.Add("Sec-WebSocket-Key", Convert.ToBase64String(Guid.NewGuid().ToByteArray()));
        return await _http.SendAsync(request);
    }

    internal static async Task WaitUntil(Func<bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"not so within {timeout}");
            await Task.Delay(100);
        }
    }

    public void Dispose() => _http.Dispose();
}

/// <summary>The per-socket queue is bounded in bytes: a stalled reader is closed with 1013 long before 512 messages.</summary>
public sealed class SocketQueueBytesTests(SmallQueueFrontEnd frontEnd) : IClassFixture<SmallQueueFrontEnd>
{
    [Fact]
    public async Task A_stalled_socket_whose_queue_passes_its_byte_bound_is_closed_with_1013()
    {
        using var http = frontEnd.CreateClient();
        var api = new SessionApi(http);
        var session = await api.Create();
        await using var slow = await EventSocket.Connect(frontEnd.BaseAddress, session.Token);
        await slow.Stall();
        var big = JsonSerializer.Serialize(new string('m', 60_000));
        const int count = 400;   // under the 512-message bound, far over the buffers of a loopback connection plus 64 KiB
        for (var i = 0; i < count; i++)
        {
            using var posted = await api.Send(HttpMethod.Post, "/sessions/current/messages", session.Token, SessionApi.Json(big));
            Assert.Equal(HttpStatusCode.Accepted, posted.StatusCode);
        }
        slow.Resume();
        Assert.Equal((WebSocketCloseStatus)1013, await slow.WaitForClose(TimeSpan.FromSeconds(30)));
        Assert.True(slow.Seqs.Count < count, "the stalled socket should have been cut off");
    }
}
