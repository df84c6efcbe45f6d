using System.Net.WebSockets;
using System.Threading.Channels;
using SessionGrains.Interfaces;

namespace SessionGrains.Client.Sockets;

/// <summary>
/// The outgoing side of one event connection of a session (a raw WebSocket or a <c>/hubs/session</c> connection), as
/// its <see cref="SessionFeed"/> sees it. Messages wait in a queue bounded in messages and in bytes, so a slow client
/// never slows the grain or other connections: on overflow the connection is closed and the client resumes with
/// afterSeq. A send that stalls longer than the send timeout (the client stopped reading) ends the connection.
/// </summary>
public abstract class EventOutbox
{
    private readonly SessionSocketOptions _options;
    private readonly Channel<byte[]> _queue;
    private volatile bool _discardQueued;
    private long _queuedBytes;

    protected EventOutbox(SessionSocketOptions options)
    {
        _options = options;
        _queue = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(options.QueueLength) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
    }

    /// <summary>Sequence number of the next event this connection expects; older ones are duplicates. Owned by the feed.</summary>
    public long NextSeq { get; set; }

    /// <summary>How the connection is to end, once <see cref="Close"/> was called (the first call wins).</summary>
    protected WebSocketCloseStatus CloseStatus { get; private set; } = WebSocketCloseStatus.NormalClosure;

    protected string CloseReason { get; private set; } = "";

    /// <summary>Queues an event unless this connection already had it; an expiry or deletion closes it after the event.</summary>
    public void Deliver(SessionEvent e) => Deliver(e, null);

    /// <summary>As <see cref="Deliver(SessionEvent)"/>, with the event already serialized once for every connection of the feed.</summary>
    public void Deliver(SessionEvent e, byte[]? utf8)
    {
        if (e.Seq < NextSeq) return;
        NextSeq = e.Seq + 1;
        Send(utf8 ?? SessionEventJson.Of(e));
        if (e.Kind is SessionEventKind.Expired or SessionEventKind.Deleted) Close(WebSocketCloseStatus.NormalClosure, e.Kind == SessionEventKind.Expired ? "expired" : "deleted");
    }

    /// <summary>Queues one JSON message (UTF-8, never changed after); too much queued closes the connection with 1013.</summary>
    public void Send(byte[] utf8)
    {
        if (Interlocked.Add(ref _queuedBytes, utf8.Length) <= _options.QueueBytes && _queue.Writer.TryWrite(utf8)) return;
        Interlocked.Add(ref _queuedBytes, -utf8.Length);
        // Too slow: what is still queued is dropped, so the close follows what is already on the wire.
        _discardQueued = true;
        Close((WebSocketCloseStatus)SessionSocketOptions.SlowConsumerCloseCode, "too slow: reconnect with afterSeq");
        OnOverflow();
    }

    /// <summary>The queue overflowed (the connection is closing); a connection with no close code to send may end at once.</summary>
    protected virtual void OnOverflow()
    {
    }

    /// <summary>Ends the connection after what is already queued, with this close status (the first one given wins).</summary>
    public void Close(WebSocketCloseStatus status, string reason)
    {
        lock (_queue)
        {
            if (!_queue.Writer.TryComplete()) return;
            CloseStatus = status;
            CloseReason = reason;
        }
    }

    /// <summary>
    /// Sends the queued messages in order through <paramref name="send"/>, each within the send timeout, until the
    /// queue is closed and empty. A send that times out throws <see cref="OperationCanceledException"/>.
    /// </summary>
    protected async Task SendQueued(Func<byte[], CancellationToken, Task> send, CancellationToken cancellationToken)
    {
        await foreach (var utf8 in _queue.Reader.ReadAllAsync(cancellationToken))
        {
            Interlocked.Add(ref _queuedBytes, -utf8.Length);
            if (_discardQueued) continue;
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(_options.SendTimeout);
            await send(utf8, timeout.Token);
        }
    }
}
