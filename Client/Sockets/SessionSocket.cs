using System.Net.WebSockets;
using System.Text;
using System.Threading.Channels;
using SessionGrains.Interfaces;

namespace SessionGrains.Client.Sockets;

/// <summary>
/// One client WebSocket of a session. Outgoing messages wait in a bounded queue, so a slow client never slows
/// the grain or other sockets: on overflow the socket is closed with 1013 and the client resumes with afterSeq.
/// </summary>
public sealed class SessionSocket
{
    private static readonly TimeSpan CloseHandshakeTimeout = TimeSpan.FromSeconds(5);
    private readonly WebSocket _socket;
    private readonly SessionSocketOptions _options;
    private readonly Channel<string> _outbox;
    private WebSocketCloseStatus _closeStatus = WebSocketCloseStatus.NormalClosure;
    private string _closeReason = "";
    private volatile bool _discardQueued;

    public SessionSocket(WebSocket socket, SessionSocketOptions options)
    {
        _socket = socket;
        _options = options;
        _outbox = Channel.CreateBounded<string>(new BoundedChannelOptions(options.QueueLength) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
    }

    /// <summary>Sequence number of the next event this socket expects; older ones are duplicates. Owned by the feed.</summary>
    public long NextSeq { get; set; }

    /// <summary>Queues an event unless this socket already had it; an expiry or deletion closes the socket after it.</summary>
    public void Deliver(SessionEvent e)
    {
        if (e.Seq < NextSeq) return;
        NextSeq = e.Seq + 1;
        Send(SessionEventJson.Of(e));
        if (e.Kind is SessionEventKind.Expired or SessionEventKind.Deleted) Close(WebSocketCloseStatus.NormalClosure, e.Kind == SessionEventKind.Expired ? "expired" : "deleted");
    }

    public void Send(string text)
    {
        if (_outbox.Writer.TryWrite(text)) return;
        // Too slow: what is still queued is dropped, so the close frame follows what is already on the wire.
        _discardQueued = true;
        Close((WebSocketCloseStatus)SessionSocketOptions.SlowConsumerCloseCode, "too slow: reconnect with afterSeq");
    }

    /// <summary>Ends the socket after what is already queued, with this close status (the first one given wins).</summary>
    public void Close(WebSocketCloseStatus status, string reason)
    {
        lock (_outbox)
        {
            if (!_outbox.Writer.TryComplete()) return;
            _closeStatus = status;
            _closeReason = reason;
        }
    }

    /// <summary>Runs the socket until it is closed by either side; <paramref name="onPing"/> runs for each client ping.</summary>
    public async Task Run(Func<Task> onPing, CancellationToken cancellationToken)
    {
        var receiving = Receive(onPing, cancellationToken);
        await SendQueued(cancellationToken);
        try
        {
            await receiving.WaitAsync(CloseHandshakeTimeout, cancellationToken);
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException or WebSocketException)
        {
            _socket.Abort();
        }
    }

    private async Task SendQueued(CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var text in _outbox.Reader.ReadAllAsync(cancellationToken))
            {
                if (_discardQueued) continue;
                await _socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, endOfMessage: true, cancellationToken);
            }
            if (_socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(CloseHandshakeTimeout);
                await _socket.CloseOutputAsync(_closeStatus, _closeReason, timeout.Token);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
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
