using System.Net.WebSockets;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using SessionGrains.Client.Operations;
using SessionGrains.Client.Sessions;
using SessionGrains.Interfaces;

namespace SessionGrains.Client.Sockets;

/// <summary>
/// One admitted event connection of a session, raw WebSocket or hub alike: a place in this front end's socket cap
/// (<see cref="SocketCapacity"/>), a place in the session's feed (which the grain counts against its per-session limit)
/// and the session touched. It is taken before the connection is accepted, so every refusal is a plain HTTP answer
/// (503, 404, 429); disposing it leaves the feed and gives both places back.
/// </summary>
public sealed class SocketPlace : IDisposable
{
    private readonly string _sessionId;
    private readonly SessionFeeds _feeds;
    private readonly SessionFeed _feed;
    private readonly SocketCapacity _capacity;
    private EventOutbox? _joined;
    private CancellationTokenRegistration _stopping;

    private SocketPlace(string sessionId, SessionFeeds feeds, SessionFeed feed, SocketCapacity capacity, ClientAccess access)
    {
        _sessionId = sessionId;
        _feeds = feeds;
        _feed = feed;
        _capacity = capacity;
        Access = access;
    }

    /// <summary>Counts the client's messages as access to the session.</summary>
    public ClientAccess Access { get; }

    /// <summary>Takes the places and touches the session, or answers why not.</summary>
    public static async Task<(SocketPlace? Place, ProblemHttpResult? Refused)> Take(string sessionId, HttpContext http, CancellationToken cancellationToken)
    {
        var capacity = http.RequestServices.GetRequiredService<SocketCapacity>();
        if (!capacity.TryTake(http, out var busy)) return (null, busy);
        var feeds = http.RequestServices.GetRequiredService<SessionFeeds>();
        var admitted = false;
        try
        {
            var (feed, reply) = await feeds.Open(sessionId, cancellationToken);
            if (feed is null) return (null, SessionProblems.From(reply.Failure!, http));
            try
            {
                var services = http.RequestServices;
                var gateway = services.GetRequiredService<SessionGateway>();
                var touched = await gateway.Call(sessionId, SessionCalls.Touch.Instance, cancellationToken);
                if (!touched.Succeeded) return (null, SessionProblems.From(touched.Failure, http));
                var access = new ClientAccess(sessionId, gateway, services.GetRequiredService<IOptions<SessionSocketOptions>>().Value, services.GetRequiredService<ILogger<ClientAccess>>(), touched);
                admitted = true;
                return (new SocketPlace(sessionId, feeds, feed, capacity, access), null);
            }
            finally
            {
                if (!admitted) feeds.Release(sessionId, feed);
            }
        }
        finally
        {
            // Refused or failed: the place in the cap is free again at once.
            if (!admitted) capacity.Return();
        }
    }

    /// <summary>Starts the connection's events (replaying after <paramref name="afterSeq"/>); it is closed when the front end stops.</summary>
    public void Join(EventOutbox outbox, long? afterSeq, FrontEndDrain drain)
    {
        _joined = outbox;
        _feed.Join(outbox, afterSeq);
        // A stopping front end says goodbye at once; the client resumes on another one with afterSeq.
        _stopping = drain.Stopping.Register(() => outbox.Close(WebSocketCloseStatus.EndpointUnavailable, "front end stopping: reconnect with afterSeq"));
    }

    public void Dispose()
    {
        _stopping.Dispose();
        if (_joined is not null) _feed.Leave(_joined);
        _feeds.Release(_sessionId, _feed);
        _capacity.Return();
    }
}
