using Microsoft.AspNetCore.SignalR;
using SessionGrains.Client.Sockets;

namespace SessionGrains.Client.Hubs;

/// <summary>
/// The events of one <c>/hubs/session</c> connection: the feed queues them here like for a raw WebSocket, and they
/// are sent in order as <c>event</c> invocations to that one connection once its SignalR handshake is done. When the
/// feed closes the outbox (expired, deleted, too slow, front end stopping) or a send stalls past the send timeout,
/// the connection is ended; the client reconnects with <c>afterSeq</c>.
/// </summary>
public sealed partial class HubOutbox(IHubContext<SessionHub> hub, SessionSocketOptions options, ILogger<HubOutbox> logger) : EventOutbox(options)
{
    private readonly TaskCompletionSource<HubCallerContext> _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The handshake is done: events flow to this connection from now on.</summary>
    public void Start(HubCallerContext caller) => _connected.TrySetResult(caller);

    /// <summary>
    /// Too slow: ends the connection at once rather than after the send it is stuck in. Unlike the raw WebSocket's
    /// 1013, SignalR has no close code to say so; the client reconnects with afterSeq all the same.
    /// </summary>
    protected override void OnOverflow()
    {
        if (_connected.Task.IsCompletedSuccessfully) _connected.Task.Result.Abort();
    }

    /// <summary>The request ended (the connection never opened or is over): nothing more is sent.</summary>
    public void Stop() => _connected.TrySetCanceled();

    /// <summary>Sends until the outbox is closed, then ends the connection; returns at once if it never opened.</summary>
    public async Task Run()
    {
        HubCallerContext caller;
        try
        {
            caller = await _connected.Task;
        }
        catch (OperationCanceledException)
        {
            return;
        }
        var client = hub.Clients.Client(caller.ConnectionId);
        try
        {
            await SendQueued((utf8, token) => client.SendAsync(SessionHub.EventMethod, new SessionEventPayload(utf8), token), caller.ConnectionAborted);
        }
        catch (OperationCanceledException)
        {
            // A stalled send, or the client went away.
        }
        catch (Exception ex)
        {
            LogSendFailed(ex, caller.ConnectionId);
        }
        caller.Abort();
    }

    [LoggerMessage(EventId = 4004, Level = LogLevel.Warning, Message = "Session hub connection {ConnectionId}: sending an event failed; ending the connection")]
    private partial void LogSendFailed(Exception ex, string connectionId);
}
