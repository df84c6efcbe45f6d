using System.Net.WebSockets;
using System.Threading.Channels;
using SessionGrains.Interfaces;

namespace SessionGrains.Client.Sockets;

/// <summary>
/// One client WebSocket of a session. Outgoing messages wait in a queue bounded in messages and in bytes, so a slow
/// client never slows the grain or other sockets: on overflow the socket is closed with 1013 and the client resumes
/// with afterSeq. A send that stalls longer than the send timeout (the client stopped reading) aborts the connection.
/// </summary>
public sealed class SessionSocket
{
    private static readonly TimeSpan CloseHandshakeTimeout = TimeSpan.FromSeconds(5);
    private readonly WebSocket _socket;
    private readonly SessionSocketOptions _options;
    private readonly Channel<byte[]> _outbox;
    private WebSocketCloseStatus _closeStatus = WebSocketCloseStatus.NormalClosure;
    private string _closeReason = "";
    private volatile bool _discardQueued;
    private long _queuedBytes;

    public SessionSocket(WebSocket socket, SessionSocketOptions options)
    {
        _socket = socket;
        _options = options;
        _outbox = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(options.QueueLength) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
    }

    /// <summary>Sequence number of the next event this socket expects; older ones are duplicates. Owned by the feed.</summary>
    public long NextSeq { get; set; }

    /// <summary>Queues an event unless this socket already had it; an expiry or deletion closes the socket after it.</summary>
    public void Deliver(SessionEvent e) => Deliver(e, null);

    /// <summary>As <see cref="Deliver(SessionEvent)"/>, with the event already serialized once for every socket of the feed.</summary>
    public void Deliver(SessionEvent e, byte[]? utf8)
    {
        if (e.Seq < NextSeq) return;
        NextSeq = e.Seq + 1;
        Send(utf8 ?? SessionEventJson.Of(e));
        if (e.Kind is SessionEventKind.Expired or SessionEventKind.Deleted) Close(WebSocketCloseStatus.NormalClosure, e.Kind == SessionEventKind.Expired ? "expired" : "deleted");
    }

    /// <summary>Queues one text message (UTF-8, never changed after); too much queued closes the socket with 1013.</summary>
    public void Send(byte[] utf8)
    {
        if (Interlocked.Add(ref _queuedBytes, utf8.Length) <= _options.QueueBytes && _outbox.Writer.TryWrite(utf8)) return;
        Interlocked.Add(ref _queuedBytes, -utf8.Length);
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
            await foreach (var utf8 in _outbox.Reader.ReadAllAsync(cancellationToken))
            {
                Interlocked.Add(ref _queuedBytes, -utf8.Length);
                if (_discardQueued) continue;
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(_options.SendTimeout);
                // A cancelled send aborts the WebSocket: a stalled client loses its connection and resumes with afterSeq.
                await _socket.SendAsync(utf8, WebSocketMessageType.Text, endOfMessage: true, timeout.Token);
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
