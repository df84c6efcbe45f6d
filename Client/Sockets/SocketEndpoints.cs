using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using SessionGrains.Interfaces;
using SessionGrains.Client.Operations;
using SessionGrains.Client.Sessions;

namespace SessionGrains.Client.Sockets;

/// <summary><c>GET /sessions/current/ws</c> and <c>POST /sessions/current/messages</c>.</summary>
public static partial class SocketEndpoints
{
    public static RouteGroupBuilder MapSocketEndpoints(this RouteGroupBuilder current)
    {
        current.MapGet("/ws", Connect);
        current.MapPost("/messages", PostMessage);
        return current;
    }

    private static async Task<Results<EmptyHttpResult, ProblemHttpResult>> Connect(
        SessionIdentity session, HttpContext http, SessionGateway gateway, FrontEndDrain drain,
        IOptions<SessionSocketOptions> options, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        if (!http.WebSockets.IsWebSocketRequest) return SessionProblems.BadRequest("This endpoint takes a WebSocket upgrade request.");
        if (!EventRequests.TryRead(http.Request, acceptQueryToken: false, out var after, out var problem)) return problem!;
        var (place, refused) = await SocketPlace.Take(session.Id!, http, cancellationToken);
        if (place is null) return refused!;
        using (place)
        {
            var id = session.Id!;
            using var webSocket = await http.WebSockets.AcceptWebSocketAsync();
            var socket = new SessionSocket(webSocket, options.Value);
            place.Join(socket, after, drain);
            var logger = loggers.CreateLogger(typeof(SocketEndpoints));
            var touchDue = NextTouch(place.Touched, options.Value);
            await socket.Run(async () =>
            {
                // Client traffic is access: it keeps the session alive, with at most one grain call per TouchInterval
                // (sooner when the session would otherwise expire first).
                if (TimeProvider.System.GetUtcNow() < touchDue) return;
                try
                {
                    touchDue = NextTouch(await gateway.Call(id, SessionCalls.Touch.Instance, cancellationToken), options.Value);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    LogTouchFailed(logger, ex, id);
                }
            }, cancellationToken);
        }
        return TypedResults.Empty;
    }

    private static async Task<Results<Accepted<MessageAcceptedResponse>, ProblemHttpResult>> PostMessage(
        SessionIdentity session, HttpContext http, SessionGateway gateway, IOptions<FrontEndOptions> options, CancellationToken cancellationToken)
    {
        if (!WriteConditions.TryRead(http.Request, out var write, out var problem)) return problem!;
        var (document, bodyProblem) = await JsonBody.Read(http.Request, options.Value.MaxRequestBodyBytes, allowEmpty: false, cancellationToken);
        if (bodyProblem is not null) return bodyProblem;
        string json;
        using (document) json = JsonBody.Compact(document!.RootElement);

        var reply = await gateway.Call(session.Id!, new SessionCalls.Publish(json, write), cancellationToken);
        if (!reply.Succeeded) return SessionProblems.From(reply.Failure, http);
        return TypedResults.Accepted((string?)null, new MessageAcceptedResponse(reply.Value.Seq));
    }

    private static DateTimeOffset NextTouch(Reply<SessionInfo> touched, SessionSocketOptions options)
    {
        var now = TimeProvider.System.GetUtcNow();
        var halfLife = touched.Value is { } info ? (info.ExpiresAt - now) / 2 : options.TouchInterval;
        return now + (halfLife < options.TouchInterval ? halfLife : options.TouchInterval);
    }

    [LoggerMessage(EventId = 4003, Level = LogLevel.Warning, Message = "Could not count WebSocket traffic of session {SessionId} as access")]
    private static partial void LogTouchFailed(ILogger logger, Exception ex, string sessionId);
}
