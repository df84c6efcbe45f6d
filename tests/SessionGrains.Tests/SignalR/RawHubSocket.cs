using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Xunit;

namespace SessionGrains.Tests.SignalR;

/// <summary>
/// A <c>/hubs/session</c> connection spoken by hand over a <see cref="ClientWebSocket"/> (SignalR's JSON protocol:
/// JSON records each ended by 0x1E), so that a test can play a client that stops reading, which the official
/// clients cannot be made to do.
/// </summary>
public sealed class RawHubSocket : IAsyncDisposable
{
    private const byte RecordSeparator = 0x1e;
    private readonly ClientWebSocket _socket = new();
    private readonly List<byte> _pending = [];

    public static async Task<RawHubSocket> Connect(Uri frontEnd, string token)
    {
        var hub = new RawHubSocket();
        hub._socket.Options.SetRequestHeader("Authorization", "Bearer " + token);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await hub._socket.ConnectAsync(new UriBuilder(frontEnd) { Scheme = "ws", Path = "/hubs/session" }.Uri, timeout.Token);
        await hub._socket.SendAsync(Encoding.UTF8.GetBytes("{\"protocol\":\"json\",\"version\":1}\u001e"), WebSocketMessageType.Text, true, timeout.Token);
        var answer = await hub.ReadRecord(timeout.Token);
        Assert.Equal("{}", answer);
        return hub;
    }

    /// <summary>
    /// Reads until the server ends the connection (a close message, a close frame or a broken connection) and returns
    /// the <c>seq</c> of every <c>event</c> invocation read, in order.
    /// </summary>
    public async Task<List<long>> ReadToEnd(TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        var seqs = new List<long>();
        try
        {
            while (await ReadRecord(deadline.Token) is { } record)
            {
                var message = JsonDocument.Parse(record).RootElement;
                var type = message.GetProperty("type").GetInt32();
                if (type == 7) break; // close
                if (type == 1 && message.GetProperty("target").GetString() == "event" && message.GetProperty("arguments")[0].TryGetProperty("seq", out var seq))
                    seqs.Add(seq.GetInt64());
            }
        }
        catch (WebSocketException)
        {
            // Aborted by the server: what was read before counts.
        }
        return seqs;
    }

    /// <summary>The next record, or null when the socket closed.</summary>
    private async Task<string?> ReadRecord(CancellationToken cancellationToken)
    {
        var buffer = new byte[64 * 1024];
        while (true)
        {
            var end = _pending.IndexOf(RecordSeparator);
            if (end >= 0)
            {
                var record = Encoding.UTF8.GetString(_pending.GetRange(0, end).ToArray());
                _pending.RemoveRange(0, end + 1);
                return record;
            }
            var result = await _socket.ReceiveAsync(buffer, cancellationToken);
            if (result.MessageType == WebSocketMessageType.Close) return null;
            _pending.AddRange(buffer.AsSpan(0, result.Count).ToArray());
        }
    }

    public ValueTask DisposeAsync()
    {
        _socket.Abort();
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }
}
