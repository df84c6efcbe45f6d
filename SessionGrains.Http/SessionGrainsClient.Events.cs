using System.Buffers;
using System.Net;
using System.Net.WebSockets;
using System.Runtime.CompilerServices;

namespace SessionGrains.Http;

// The session's live events over its WebSocket, reconnecting and resuming with afterSeq by itself.
public sealed partial class SessionGrainsClient
{
    private static readonly byte[] Ping = """{"type":"ping"}"""u8.ToArray();

    /// <summary>
    /// The session's events (<c>GET /sessions/current/ws</c>), in sequence order, each once. When the connection drops
    /// (or the server closes it because the reader was slow), the stream reconnects with back-off and resumes after the
    /// last event it yielded; when events were lost meanwhile it yields a <see cref="SessionEventType.Gap"/>. It ends
    /// after <see cref="SessionEventType.Deleted"/> or <see cref="SessionEventType.Expired"/>, or when the session is
    /// found gone on a reconnection. Throws <see cref="SessionNotFoundException"/> or <see cref="SessionUnauthorizedException"/>
    /// when the first connection is refused, and the last failure after <see cref="SessionGrainsClientOptions.MaxReconnectAttempts"/>.
    /// </summary>
    public async IAsyncEnumerable<SessionEvent> ReadEventsAsync(string token, long? afterSeq = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var lastSeq = afterSeq;
        var connectedOnce = false;
        var failures = 0;
        var delay = Options.ReconnectDelay;
        while (!cancellationToken.IsCancellationRequested)
        {
            var (socket, failure) = await ConnectAsync(token, lastSeq, connectedOnce, cancellationToken).ConfigureAwait(false);
            if (socket is null)
            {
                if (failure is null) yield break; // the session ended while the stream was away
                if (Options.MaxReconnectAttempts is { } most && ++failures >= most) throw failure;
                var wait = failure is SessionGrainsException { RetryAfter: { } retryAfter } && retryAfter > delay ? retryAfter : delay;
                await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
                delay = delay * 2 < Options.MaxReconnectDelay ? delay * 2 : Options.MaxReconnectDelay;
                continue;
            }
            connectedOnce = true;
            failures = 0;
            delay = Options.ReconnectDelay;
            using (socket)
            using (var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                var pinging = Options.PingInterval is { } interval ? PingAsync(socket, interval, stop.Token) : Task.CompletedTask;
                try
                {
                    while (await ReceiveAsync(socket, cancellationToken).ConfigureAwait(false) is { } received)
                    {
                        if (received.Seq is { } seq)
                        {
                            if (seq <= (lastSeq ?? 0)) continue; // already yielded before a reconnection
                            lastSeq = seq;
                        }
                        yield return received;
                        if (received.EndsSession) yield break;
                    }
                }
                finally
                {
                    await stop.CancelAsync().ConfigureAwait(false);
                    await pinging.ConfigureAwait(false);
                }
            }
        }
        cancellationToken.ThrowIfCancellationRequested();
    }

    /// <summary>A connected socket, or the reason there is none (null: the session is gone after it had been reached).</summary>
    private async Task<(ClientWebSocket? Socket, Exception? Failure)> ConnectAsync(string token, long? afterSeq, bool connectedOnce, CancellationToken cancellationToken)
    {
        var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Authorization", "Bearer " + token);
        socket.Options.CollectHttpResponseDetails = true;
        try
        {
            await socket.ConnectAsync(EventsUri(afterSeq), cancellationToken).ConfigureAwait(false);
            return (socket, null);
        }
        catch (Exception ex) when (ex is WebSocketException or HttpRequestException)
        {
            var status = socket.HttpStatusCode;
            var retryAfter = socket.HttpResponseHeaders?.TryGetValue("Retry-After", out var values) == true
                && int.TryParse(values.FirstOrDefault(), out var seconds) ? TimeSpan.FromSeconds(seconds) : (TimeSpan?)null;
            socket.Dispose();
            return status switch
            {
                HttpStatusCode.NotFound when connectedOnce => (null, null),
                HttpStatusCode.NotFound => throw new SessionNotFoundException("The session does not exist or has ended."),
                HttpStatusCode.Unauthorized => throw new SessionUnauthorizedException("The session token was refused."),
                HttpStatusCode.Forbidden or HttpStatusCode.BadRequest => throw ProblemDetails.Create(status, null, null, ex.Message, null),
                0 => (null, ex),
                _ => (null, ProblemDetails.Create(status, null, null, ex.Message, retryAfter)),
            };
        }
    }

    /// <summary>The next event, or null when the socket closed or broke (the caller reconnects).</summary>
    private static async Task<SessionEvent?> ReceiveAsync(ClientWebSocket socket, CancellationToken cancellationToken)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        while (true)
        {
            ValueWebSocketReceiveResult result;
            try
            {
                result = await socket.ReceiveAsync(buffer.GetMemory(4096), cancellationToken).ConfigureAwait(false);
            }
            catch (WebSocketException)
            {
                return null;
            }
            if (result.MessageType == WebSocketMessageType.Close) return null;
            buffer.Advance(result.Count);
            if (!result.EndOfMessage) continue;
            if (SessionEvent.Parse(buffer.WrittenSpan) is { } parsed) return parsed;
            buffer.ResetWrittenCount(); // a pong or an unknown message
        }
    }

    private static async Task PingAsync(ClientWebSocket socket, TimeSpan interval, CancellationToken cancellationToken)
    {
        try
        {
            while (socket.State == WebSocketState.Open)
            {
                await Task.Delay(interval, cancellationToken).ConfigureAwait(false);
                await socket.SendAsync(Ping, WebSocketMessageType.Text, endOfMessage: true, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException or ObjectDisposedException)
        {
            // The socket ended; the reader reconnects.
        }
    }
}
