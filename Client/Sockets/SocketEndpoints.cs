using System.Net.WebSockets;
using System.Globalization;
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
        SessionIdentity session, string? afterSeq, HttpContext http, SessionFeeds feeds, SessionGateway gateway,
        IOptions<SessionSocketOptions> options, SocketCapacity capacity, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        if (!http.WebSockets.IsWebSocketRequest) return SessionProblems.BadRequest("This endpoint takes a WebSocket upgrade request.");
        long? after = null;
        if (afterSeq is not null)
        {
            if (!long.TryParse(afterSeq, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
                return SessionProblems.BadRequest("afterSeq must be a non-negative integer.");
            after = parsed;
        }
        if (IsCrossSiteCookieRequest(http.Request))
            return SessionProblems.Problem(StatusCodes.Status403Forbidden, "forbidden", "Forbidden", "A WebSocket authenticated by cookie must come from this site's own pages.");

        if (!capacity.TryTake(http, out var busy)) return busy!;
        try
        {
            return await Serve(session.Id!, after, http, feeds, gateway, options.Value, loggers, cancellationToken);
        }
        finally
        {
            capacity.Return();
        }
    }

    private static async Task<Results<EmptyHttpResult, ProblemHttpResult>> Serve(
        string id, long? after, HttpContext http, SessionFeeds feeds, SessionGateway gateway, SessionSocketOptions options, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var (feed, reply) = await feeds.Open(id, cancellationToken);
        if (feed is null) return SessionProblems.From(reply.Failure!, http);
        try
        {
            var touched = await gateway.Call(id, SessionCalls.Touch.Instance, cancellationToken);
            if (!touched.Succeeded) return SessionProblems.From(touched.Failure, http);

            using var webSocket = await http.WebSockets.AcceptWebSocketAsync();
            var socket = new SessionSocket(webSocket, options);
            feed.Join(socket, after);
            var logger = loggers.CreateLogger(typeof(SocketEndpoints));
            var touchDue = NextTouch(touched, options);
            // A stopping front end says goodbye at once; the client resumes on another one with afterSeq.
            using var stopping = http.RequestServices.GetRequiredService<FrontEndDrain>().Stopping.Register(() => socket.Close(WebSocketCloseStatus.EndpointUnavailable, "front end stopping: reconnect with afterSeq"));
            await socket.Run(async () =>
            {
                // Client traffic is access: it keeps the session alive, with at most one grain call per TouchInterval
                // (sooner when the session would otherwise expire first).
                if (TimeProvider.System.GetUtcNow() < touchDue) return;
                try
                {
                    touchDue = NextTouch(await gateway.Call(id, SessionCalls.Touch.Instance, cancellationToken), options);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    LogTouchFailed(logger, ex, id);
                }
            }, cancellationToken);
            feed.Leave(socket);
            return TypedResults.Empty;
        }
        finally
        {
            feeds.Release(id, feed);
        }
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

    /// <summary>A cookie-authenticated upgrade from another site's page (cross-site WebSocket hijacking).</summary>
    private static bool IsCrossSiteCookieRequest(HttpRequest request)
    {
        if (request.Headers.Authorization.Count > 0) return false;
        var origin = request.Headers.Origin;
        return origin.Count > 0 && (origin.Count > 1 || !Security.SameOrigin.Matches(origin[0], request));
    }

    [LoggerMessage(EventId = 4003, Level = LogLevel.Warning, Message = "Could not count WebSocket traffic of session {SessionId} as access")]
    private static partial void LogTouchFailed(ILogger logger, Exception ex, string sessionId);
}
