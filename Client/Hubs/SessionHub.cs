using System.Net.WebSockets;
using Microsoft.AspNetCore.SignalR;
using SessionGrains.Client.Sockets;

namespace SessionGrains.Client.Hubs;

/// <summary>
/// <c>/hubs/session</c>: the session's live events over SignalR, one <c>event</c> invocation per message of the raw
/// WebSocket protocol. Clients may call <see cref="Ping"/>, nothing else. <see cref="SessionHubGate"/> authenticated and admitted the
/// connection before it was accepted and left its <see cref="HubOutbox"/> on the request; the hub only starts and
/// ends its delivery.
/// </summary>
public sealed class SessionHub : Hub
{
    public const string Path = "/hubs/session";

    /// <summary>The client method every event is sent to, with the event's JSON object as its one argument.</summary>
    public const string EventMethod = "event";

    public override Task OnConnectedAsync()
    {
        if (Context.GetHttpContext()?.Features.Get<HubOutbox>() is { } outbox) outbox.Start(Context);
        else Context.Abort(); // Not admitted by the gate (it runs for every request of this hub): refuse.
        return Task.CompletedTask;
    }

    /// <summary>Counts as access to the session, like the raw WebSocket's <c>{"type":"ping"}</c> (SignalR's own pings do not).</summary>
    public Task Ping() => Context.GetHttpContext()?.Features.Get<ClientAccess>()?.Count(Context.ConnectionAborted) ?? Task.CompletedTask;

    public override Task OnDisconnectedAsync(Exception? exception)
    {
        Context.GetHttpContext()?.Features.Get<HubOutbox>()?.Close(WebSocketCloseStatus.NormalClosure, "");
        return Task.CompletedTask;
    }
}
