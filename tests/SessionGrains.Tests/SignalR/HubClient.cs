using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;

namespace SessionGrains.Tests.SignalR;

/// <summary>
/// The official SignalR .NET client on <c>/hubs/session</c> as an app would use it without sticky sessions: WebSockets
/// with SkipNegotiation, the session token from the access token provider. Collects every <c>event</c> argument.
/// </summary>
public sealed class HubClient : IAsyncDisposable
{
    private readonly HubConnection _connection;
    private readonly ConcurrentQueue<JsonElement> _received = new();
    private readonly SemaphoreSlim _arrived = new(0);
    private readonly TaskCompletionSource<Exception?> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private HubClient(Uri url, string token)
    {
        _connection = new HubConnectionBuilder()
            .WithUrl(url, options =>
            {
                options.SkipNegotiation = true;
                options.Transports = HttpTransportType.WebSockets;
                options.AccessTokenProvider = () => Task.FromResult<string?>(token);
            })
            .Build();
        _connection.On<JsonElement>("event", e =>
        {
            if (_received.IsEmpty) FirstEventAt = System.Diagnostics.Stopwatch.GetTimestamp();
            _received.Enqueue(e.Clone());
            _arrived.Release();
        });
        _connection.Closed += error =>
        {
            _closed.TrySetResult(error);
            _arrived.Release();
            return Task.CompletedTask;
        };
    }

    public IReadOnlyList<JsonElement> Received => [.. _received];

    /// <summary>When the first event arrived (<see cref="System.Diagnostics.Stopwatch"/> timestamp), 0 before.</summary>
    public long FirstEventAt { get; private set; }

    /// <summary>Whether any event was a <c>gap</c>.</summary>
    public bool SawGap => _received.Any(e => e.GetProperty("type").GetString() == "gap");

    /// <summary>The <c>seq</c> numbers of the events received, in order of arrival.</summary>
    public IReadOnlyList<long> Seqs => Received.Where(e => e.TryGetProperty("seq", out _)).Select(e => e.GetProperty("seq").GetInt64()).ToList();

    /// <summary>Completes when the connection ended (with the error the client reports, if any).</summary>
    public Task<Exception?> Closed => _closed.Task;

    public static Uri HubUrl(Uri frontEnd, long? afterSeq = null) =>
        new UriBuilder(frontEnd) { Path = "/hubs/session", Query = afterSeq is { } after ? "afterSeq=" + after : "" }.Uri;

    /// <summary>Connects (handshake done when this returns), or throws what the client threw.</summary>
    public static async Task<HubClient> Connect(Uri frontEnd, string token, long? afterSeq = null)
    {
        var client = new HubClient(HubUrl(frontEnd, afterSeq), token);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await client._connection.StartAsync(timeout.Token);
        }
        catch
        {
            await client._connection.DisposeAsync();
            throw;
        }
        return client;
    }

    /// <summary>Calls the hub's <c>Ping</c> (counts as access to the session).</summary>
    public Task Ping() => _connection.InvokeAsync("Ping");

    /// <summary>Waits until an event matching <paramref name="match"/> arrived, or fails after <paramref name="timeout"/>.</summary>
    public async Task<JsonElement> WaitFor(Func<JsonElement, bool> match, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var found = _received.FirstOrDefault(match);
            if (found.ValueKind != JsonValueKind.Undefined) return found;
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero || Closed.IsCompleted)
                throw new TimeoutException($"no {what} within {timeout}; {_received.Count} received, the last: {string.Join(" ", _received.TakeLast(5).Select(e => e.GetRawText()))}; closed: {Closed.IsCompleted}");
            await _arrived.WaitAsync(left < TimeSpan.FromMilliseconds(200) ? left : TimeSpan.FromMilliseconds(200));
        }
    }

    public Task<JsonElement> WaitForSeq(long seq, TimeSpan timeout) =>
        WaitFor(e => e.TryGetProperty("seq", out var s) && s.GetInt64() == seq, timeout, $"event seq {seq}");

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await _connection.StopAsync(timeout.Token);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or System.Net.WebSockets.WebSocketException)
        {
        }
        await _connection.DisposeAsync();
    }
}
