using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace SessionGrains.Tests.Infrastructure;

/// <summary>A test client of <c>/sessions/current/ws</c>: connects with a bearer token and collects every message.</summary>
public sealed class EventSocket : IAsyncDisposable
{
    private readonly ClientWebSocket _socket = new();
    private readonly ConcurrentQueue<JsonElement> _received = new();
    private readonly SemaphoreSlim _arrived = new(0);
    private Task _receiving = Task.CompletedTask;

    public IReadOnlyList<JsonElement> Received => [.. _received];

    /// <summary>Set when the server closed the socket.</summary>
    public WebSocketCloseStatus? CloseStatus { get; private set; }

    private readonly SemaphoreSlim _reading = new(1, 1);

    /// <summary>Stops reading from the socket (after the message being read), to play a stalled client.</summary>
    public Task Stall() => _reading.WaitAsync();

    /// <summary>Reads again after <see cref="Stall"/>.</summary>
    public void Resume() => _reading.Release();

    public static async Task<EventSocket> Connect(Uri baseAddress, string token, long? afterSeq = null)
    {
        var socket = new EventSocket();
        socket._socket.Options.SetRequestHeader("Authorization", "Bearer " + token);
        var uri = new UriBuilder(baseAddress) { Scheme = baseAddress.Scheme == "https" ? "wss" : "ws", Path = "/sessions/current/ws" };
        if (afterSeq is { } after) uri.Query = "afterSeq=" + after;
        await socket._socket.ConnectAsync(uri.Uri, CancellationToken.None);
        socket._receiving = socket.ReceiveAll();
        return socket;
    }

    /// <summary>The <c>seq</c> numbers of the events received, in order of arrival.</summary>
    public IReadOnlyList<long> Seqs => Received.Where(e => e.TryGetProperty("seq", out _)).Select(e => e.GetProperty("seq").GetInt64()).ToList();

    public Task Send(string text) => _socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None);

    /// <summary>Waits until a message matching <paramref name="match"/> arrived, or fails after <paramref name="timeout"/>.</summary>
    public async Task<JsonElement> WaitFor(Func<JsonElement, bool> match, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var found = _received.FirstOrDefault(match);
            if (found.ValueKind != JsonValueKind.Undefined) return found;
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero || (CloseStatus is not null && _receiving.IsCompleted))
                throw new TimeoutException($"no {what} within {timeout}; {_received.Count} received, the last: {string.Join(" ", _received.TakeLast(5).Select(e => e.GetRawText()))}; close: {CloseStatus}");
            await _arrived.WaitAsync(left < TimeSpan.FromMilliseconds(200) ? left : TimeSpan.FromMilliseconds(200));
        }
    }

    public Task<JsonElement> WaitForSeq(long seq, TimeSpan timeout) =>
        WaitFor(e => e.TryGetProperty("seq", out var s) && s.GetInt64() == seq, timeout, $"event seq {seq}");

    /// <summary>Waits until the server closes the socket and returns the close status.</summary>
    public async Task<WebSocketCloseStatus?> WaitForClose(TimeSpan timeout)
    {
        await _receiving.WaitAsync(timeout);
        return CloseStatus;
    }

    private async Task ReceiveAll()
    {
        var buffer = new byte[256 * 1024];
        try
        {
            while (_socket.State == WebSocketState.Open)
            {
                var length = 0;
                WebSocketReceiveResult result;
                do
                {
                    result = await _socket.ReceiveAsync(buffer.AsMemory(length).ToArraySegment(), CancellationToken.None);
                    length += result.Count;
                }
                while (!result.EndOfMessage);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    CloseStatus = result.CloseStatus;
                    if (_socket.State == WebSocketState.CloseReceived) await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None);
                    return;
                }
                _received.Enqueue(JsonDocument.Parse(buffer.AsMemory(0, length)).RootElement.Clone());
                _arrived.Release();
                await _reading.WaitAsync();
                _reading.Release();
            }
        }
        catch (WebSocketException)
        {
            CloseStatus ??= WebSocketCloseStatus.EndpointUnavailable;
        }
        finally
        {
            _arrived.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_socket.State == WebSocketState.Open)
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "", timeout.Token);
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
            {
            }
        }
        _socket.Dispose();
        await _receiving.WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }
}

internal static class MemoryExtensions
{
    public static ArraySegment<byte> ToArraySegment(this Memory<byte> memory) =>
        System.Runtime.InteropServices.MemoryMarshal.TryGetArray<byte>(memory, out var segment) ? segment : throw new InvalidOperationException();
}
