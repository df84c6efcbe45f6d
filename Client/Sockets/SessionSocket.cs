using System.Net.WebSockets;

namespace SessionGrains.Client.Sockets;

/// <summary>
/// One client WebSocket of a session: its <see cref="EventOutbox"/> sent as text messages, and the client's pings.
/// On queue overflow the socket is closed with 1013; a send that stalls longer than the send timeout aborts it.
/// </summary>
public sealed class SessionSocket : EventOutbox
{
    private static readonly TimeSpan CloseHandshakeTimeout = TimeSpan.FromSeconds(5);
    private readonly WebSocket _socket;
    private readonly SessionSocketOptions _options;

    public SessionSocket(WebSocket socket, SessionSocketOptions options) : base(options)
    {
        _socket = socket;
        _options = options;
    }

    /// <summary>Runs the socket until it is closed by either side; <paramref name="onPing"/> runs for each client ping.</summary>
    public async Task Run(Func<Task> onPing, CancellationToken cancellationToken)
    {
        var receiving = Receive(onPing, cancellationToken);
        await SendAll(cancellationToken);
        try
        {
            await receiving.WaitAsync(CloseHandshakeTimeout, cancellationToken);
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException or WebSocketException)
        {
            _socket.Abort();
        }
    }

    private async Task SendAll(CancellationToken cancellationToken)
    {
        try
        {
            // A cancelled send aborts the WebSocket: a stalled client loses its connection and resumes with afterSeq.
            await SendQueued((utf8, token) => _socket.SendAsync(utf8, WebSocketMessageType.Text, endOfMessage: true, token), cancellationToken);
            if (_socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(CloseHandshakeTimeout);
                await _socket.CloseOutputAsync(CloseStatus, CloseReason, timeout.Token);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
            Close(WebSocketCloseStatus.EndpointUnavailable, "");
            _socket.Abort();
        }
    }

    private async Task Receive(Func<Task> onPing, CancellationToken cancellationToken)
    {
        var buffer = new byte[_options.MaxReceiveBytes + 1];
        try
        {
            while (_socket.State == WebSocketState.Open)
            {
                var length = 0;
                ValueWebSocketReceiveResult result;
                do
                {
                    if (length == buffer.Length)
                    {
                        Close(WebSocketCloseStatus.MessageTooBig, $"messages may be at most {_options.MaxReceiveBytes} bytes");
                        return;
                    }
                    result = await _socket.ReceiveAsync(buffer.AsMemory(length), cancellationToken);
                    length += result.Count;
                }
                while (!result.EndOfMessage && result.MessageType != WebSocketMessageType.Close);

                if (result.MessageType == WebSocketMessageType.Close)
                {
                    Close(WebSocketCloseStatus.NormalClosure, "");
                    return;
                }
                if (length > _options.MaxReceiveBytes)
                {
                    Close(WebSocketCloseStatus.MessageTooBig, $"messages may be at most {_options.MaxReceiveBytes} bytes");
                    return;
                }
                if (result.MessageType != WebSocketMessageType.Text || !SessionEventJson.IsPing(buffer.AsSpan(0, length)))
                {
                    Close(WebSocketCloseStatus.InvalidMessageType, "only {\"type\":\"ping\"} is accepted");
                    return;
                }
                Send(SessionEventJson.Pong);
                await onPing();
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
            Close(WebSocketCloseStatus.EndpointUnavailable, "");
        }
        finally
        {
            // The client went away or broke the protocol: stop sending too.
            Close(WebSocketCloseStatus.NormalClosure, "");
        }
    }
}
