using System.Net.WebSockets;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;
using SessionGrains.Client.Operations;
using SessionGrains.Client.Sessions;
using SessionGrains.Client.Sockets;

namespace SessionGrains.Client.Hubs;

/// <summary>
/// Every request of <c>/hubs/session</c> (negotiate and connect) passes the raw WebSocket's checks here before
/// SignalR sees it: the session token (<c>Authorization: Bearer</c>, the <c>access_token</c> query parameter SignalR
/// clients send, or the cookie), <c>afterSeq</c>, and the cross-site check for cookie-authenticated requests. The
/// WebSocket request itself then takes its <see cref="SocketPlace"/> (front-end cap, per-session limit, session touched)
/// and joins the session's feed before it is accepted, so each refusal is an HTTP answer; the place is held until the
/// connection ends, which for the WebSocket transport (the only one offered) is when this request ends.
/// </summary>
public sealed class SessionHubGate(RequestDelegate next)
{
    public async Task InvokeAsync(HttpContext http)
    {
        if (http.GetEndpoint()?.Metadata.GetMetadata<HubMetadata>()?.HubType != typeof(SessionHub))
        {
            await next(http);
            return;
        }
        var session = SessionIdentity.Of(http, acceptQueryToken: true);
        if (!session.IsAuthenticated)
        {
            await SessionProblems.Unauthorized("A valid session token is required (access_token, Authorization: Bearer or cookie 'sid').").ExecuteAsync(http);
            return;
        }
        if (!EventRequests.TryRead(http.Request, acceptQueryToken: true, out var after, out var problem))
        {
            await problem!.ExecuteAsync(http);
            return;
        }
        if (!http.WebSockets.IsWebSocketRequest)
        {
            // Negotiation: checked, nothing held. SignalR refuses the other transports itself.
            await next(http);
            return;
        }
        var (place, refused) = await SocketPlace.Take(session.Id!, http, http.RequestAborted);
        if (place is null)
        {
            await refused!.ExecuteAsync(http);
            return;
        }
        using (place)
        {
            var services = http.RequestServices;
            var outbox = new HubOutbox(services.GetRequiredService<IHubContext<SessionHub>>(), services.GetRequiredService<IOptions<SessionSocketOptions>>().Value,
                services.GetRequiredService<ILogger<HubOutbox>>());
            http.Features.Set(outbox);
            http.Features.Set(place.Access);
            place.Join(outbox, after, services.GetRequiredService<FrontEndDrain>());
            var sending = outbox.Run();
            try
            {
                await next(http);
            }
            finally
            {
                outbox.Close(WebSocketCloseStatus.NormalClosure, "");
                outbox.Stop();
                await sending;
            }
        }
    }
}
