using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using SessionGrains.SignalR.Client;

namespace SessionGrains.Tests.SignalR;

/// <summary>
/// One official .NET SignalR client of a chat hub (the example chat on grains, or the Redis-backplane app): WebSockets
/// without negotiation, automatic reconnect through the balancer every 200 ms, and a log of the message numbers it
/// received ("said", "whispered" and "announced" carry the sender's counter as text), each with the time it arrived.
/// </summary>
public sealed class ChatClient : IAsyncDisposable
{
    private static readonly Stopwatch Clock = Stopwatch.StartNew();
    private readonly ConcurrentQueue<(long Number, TimeSpan At)> _received = new();
    private readonly ConcurrentQueue<TimeSpan> _reconnecting = new();
    private readonly ConcurrentQueue<TimeSpan> _reconnected = new();

    private ChatClient(string name, HubConnection connection, HubResumePoint? resume)
    {
        Name = name;
        Connection = connection;
        Resume = resume;
    }

    public string Name { get; }

    public HubConnection Connection { get; }

    /// <summary>Null for a client of the Redis backplane, which has no resume point.</summary>
    public HubResumePoint? Resume { get; }

    /// <summary>Rooms to join again after every reconnect: the Redis backplane forgets a connection's groups with it.</summary>
    public List<string> RejoinRooms { get; } = [];

    public IReadOnlyList<(long Number, TimeSpan At)> Received => [.. _received];

    public IReadOnlyList<TimeSpan> Reconnecting => [.. _reconnecting];

    public IReadOnlyList<TimeSpan> Reconnected => [.. _reconnected];

    public static TimeSpan Now => Clock.Elapsed;

    /// <param name="url">The hub through the balancer; <paramref name="token"/> the session token, if any (the Redis app has none).</param>
    public static async Task<ChatClient> Connect(string name, Uri url, string? token, bool resumable)
    {
        var resume = resumable ? new HubResumePoint() : null;
        var connection = new HubConnectionBuilder()
            .WithUrl(url, options =>
            {
                options.SkipNegotiation = true;
                options.Transports = HttpTransportType.WebSockets;
                if (token is not null) options.AccessTokenProvider = () => Task.FromResult<string?>(token);
                resume?.Apply(options);
            })
            .WithAutomaticReconnect(new EveryFewMilliseconds())
            .WithServerTimeout(TimeSpan.FromSeconds(30))
            .Build();
        resume?.Track(connection);
        var client = new ChatClient(name, connection, resume);
        connection.On<string, string, string>("said", (_, _, text) => client._received.Enqueue((long.Parse(text), Now)));
        connection.On<string, string>("whispered", (_, text) => client._received.Enqueue((long.Parse(text), Now)));
        connection.On<string, string>("announced", (_, text) => client._received.Enqueue((long.Parse(text), Now)));
        connection.Reconnecting += _ =>
        {
            client._reconnecting.Enqueue(Now);
            return Task.CompletedTask;
        };
        connection.Reconnected += async _ =>
        {
            client._reconnected.Enqueue(Now);
            foreach (var room in client.RejoinRooms) await connection.InvokeAsync("Join", room);
        };
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await connection.StartAsync(cts.Token);
        return client;
    }

    public async Task Join(string room)
    {
        await Connection.InvokeAsync("Join", room);
        if (Resume is null) RejoinRooms.Add(room);
    }

    /// <summary>Waits (bounded) until the connection is up again after a failure.</summary>
    public async Task WaitConnected(TimeSpan timeout)
    {
        var deadline = Now + timeout;
        while (Connection.State != HubConnectionState.Connected)
        {
            if (Now > deadline) throw new TimeoutException($"{Name} did not reconnect within {timeout} (state {Connection.State})");
            await Task.Delay(50);
        }
    }

    public ValueTask DisposeAsync() => Connection.DisposeAsync();

    /// <summary>Reconnects every 200 ms for up to two minutes: the balancer sends each attempt to a live server.</summary>
    private sealed class EveryFewMilliseconds : IRetryPolicy
    {
        public TimeSpan? NextRetryDelay(RetryContext retryContext) =>
            retryContext.ElapsedTime < TimeSpan.FromMinutes(2) ? TimeSpan.FromMilliseconds(200) : null;
    }
}
