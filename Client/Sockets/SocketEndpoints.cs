using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using SessionGrains.Interfaces;
using SessionGrains.Client.Operations;
using SessionGrains.Client.Sessions;

namespace SessionGrains.Client.Sockets;

/// <summary><c>GET /sessions/current/ws</c> and <c>POST /sessions/current/messages</c>.</summary>
public static class SocketEndpoints
{
    public static RouteGroupBuilder MapSocketEndpoints(this RouteGroupBuilder current)
    {
        current.MapGet("/ws", Connect);
        current.MapPost("/messages", PostMessage);
        return current;
    }

    private static async Task<Results<EmptyHttpResult, ProblemHttpResult>> Connect(
        SessionIdentity session, HttpContext http, FrontEndDrain drain, IOptions<SessionSocketOptions> options, CancellationToken cancellationToken)
    {
        if (!http.WebSockets.IsWebSocketRequest) return SessionProblems.BadRequest("This endpoint takes a WebSocket upgrade request.");
        if (!EventRequests.TryRead(http.Request, acceptQueryToken: false, out var after, out var problem)) return problem!;
        var (place, refused) = await SocketPlace.Take(session.Id!, http, cancellationToken);
        if (place is null) return refused!;
        using (place)
        {
            using var webSocket = await http.WebSockets.AcceptWebSocketAsync();
            var socket = new SessionSocket(webSocket, options.Value);
            place.Join(socket, after, drain);
            await socket.Run(() => place.Access.Count(cancellationToken), cancellationToken);
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
}
