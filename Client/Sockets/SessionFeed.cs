using System.Threading.Channels;
using SessionGrains.Client.Sessions;
using SessionGrains.Interfaces;

namespace SessionGrains.Client.Sockets;

/// <summary>
/// One session's events on this front end, shared by all its event connections here ("sockets": raw WebSockets and
/// <c>/hubs/session</c> connections alike, each an <see cref="EventOutbox"/>). Everything runs in one loop, so
/// sockets get events in sequence order without duplicates: a jump in sequence numbers (missed pushes, e.g.
/// after a failover) is filled from the grain's event log before anything newer is delivered. Each event is serialized
/// once for all sockets. Pushed events wait in a bounded queue: when the loop falls that far behind, further pushes are
/// dropped and the next renewal fills them in from the log, so a busy feed holds bounded memory.
/// </summary>
public sealed partial class SessionFeed
{
    private readonly string _sessionId;
    private readonly SessionGateway _gateway;
    private readonly ISessionObserver _observer;
    private readonly ILogger _logger;
    private readonly Channel<Work> _work = Channel.CreateUnbounded<Work>(new UnboundedChannelOptions { SingleReader = true });
    private readonly List<EventOutbox> _sockets = [];
    private readonly Task _loop;
    private readonly int _maxQueuedPushes;
    private long _last = -1;
    private int _queuedPushes;
    private int _dropping;

    public SessionFeed(string sessionId, SessionGateway gateway, ISessionObserver observer, ILogger logger, int maxQueuedPushes)
    {
        _maxQueuedPushes = maxQueuedPushes;
        _sessionId = sessionId;
        _gateway = gateway;
        _observer = observer;
        _logger = logger;
        _loop = Task.Run(Loop);
    }

    /// <summary>Sockets admitted here, including ones still opening; maintained by <see cref="SessionFeeds"/>.</summary>
    public int Reserved { get; set; }

    /// <summary>Subscribes with the current socket count; the reply refuses when the session is gone or full.</summary>
    public Task<Reply<Subscribed>> Admit(CancellationToken cancellationToken)
    {
        var admitted = new TaskCompletionSource<Reply<Subscribed>>(TaskCreationOptions.RunContinuationsAsynchronously);
        Post(new AdmitWork(admitted));
        return admitted.Task.WaitAsync(cancellationToken);
    }

    public void Join(EventOutbox socket, long? afterSeq) => Post(new JoinWork(socket, afterSeq));

    public void Leave(EventOutbox socket) => Post(new LeaveWork(socket));

    public void Push(IReadOnlyList<SessionEvent> events)
    {
        if (Interlocked.Increment(ref _queuedPushes) <= _maxQueuedPushes)
        {
            Post(new EventsWork(events));
            return;
        }
        Interlocked.Decrement(ref _queuedPushes);
        // Behind by a whole queue: drop, and catch up from the log once (the events are stored there).
        if (Interlocked.Exchange(ref _dropping, 1) == 0) Post(new ResubscribeWork());
    }

    public void Resubscribe() => Post(new ResubscribeWork());

    /// <summary>Unsubscribes and ends the loop.</summary>
    public Task Stop()
    {
        Post(new StopWork());
        return _loop;
    }

    private void Post(Work work) => _work.Writer.TryWrite(work);

    private async Task Loop()
    {
        await foreach (var work in _work.Reader.ReadAllAsync())
        {
            try
            {
                switch (work)
                {
                    case AdmitWork admit:
                        admit.Reply.TrySetResult(await Subscribe());
                        break;
                    case JoinWork join:
                        await AddSocket(join.Socket, join.AfterSeq);
                        break;
                    case LeaveWork leave:
                        _sockets.Remove(leave.Socket);
                        break;
                    case EventsWork events:
                        Interlocked.Decrement(ref _queuedPushes);
                        await Deliver(events.Events);
                        break;
                    case ResubscribeWork:
                        Interlocked.Exchange(ref _dropping, 0);
                        var reply = await Subscribe();
                        if (reply.Status == SessionStatus.RateLimited) _ = RetryLater(new ResubscribeWork());
                        else if (reply.Status == SessionStatus.SessionNotFound || (reply.Value?.LatestSeq ?? 0) > _last) await CatchUp();
                        break;
                    case StopWork:
                        _work.Writer.TryComplete();
                        await _gateway.Call(_sessionId, new SessionCalls.Unsubscribe(_observer), CancellationToken.None);
                        return;
                }
            }
            catch (Exception ex)
            {
                if (work is AdmitWork admit) admit.Reply.TrySetException(ex);
                LogFeedFailure(ex, _sessionId, work.GetType().Name);
                if (work is ResubscribeWork or EventsWork) _ = RetryLater(new ResubscribeWork());
            }
        }
    }

    private async Task RetryLater(Work work)
    {
        await Task.Delay(TimeSpan.FromSeconds(1));
        Post(work);
    }

    private async Task<Reply<Subscribed>> Subscribe()
    {
        var reply = await _gateway.Call(_sessionId, new SessionCalls.Subscribe(_observer, Math.Max(Reserved, 1)), CancellationToken.None);
        if (reply.Succeeded && _last < 0) _last = reply.Value.LatestSeq;
        return reply;
    }

    private async Task AddSocket(EventOutbox socket, long? afterSeq)
    {
        socket.NextSeq = (afterSeq ?? _last) + 1;
        _sockets.Add(socket);
        if (afterSeq is not { } after || after >= _last) return;

        var reply = await _gateway.Call(_sessionId, new SessionCalls.GetEvents(after), CancellationToken.None);
        if (!reply.Succeeded)
        {
            if (reply.Status == SessionStatus.SessionNotFound) socket.Deliver(new SessionEvent(socket.NextSeq, SessionEventKind.Expired, 0, [], null));
            return;
        }
        var page = reply.Value;
        if (page.Gap)
        {
            socket.Send(SessionEventJson.Gap(after));
            socket.NextSeq = 0;
        }
        foreach (var e in page.Events) socket.Deliver(e);
        if (page.LatestSeq > _last) await CatchUp();
    }

    private async Task Deliver(IReadOnlyList<SessionEvent> events)
    {
        foreach (var e in events)
        {
            if (e.Seq <= _last) continue;
            if (e.Seq > _last + 1) await CatchUp();
            if (e.Seq <= _last) continue;
            Broadcast(e);
        }
    }

    /// <summary>Delivers every event after the last one delivered, from the grain's log.</summary>
    private async Task CatchUp()
    {
        var reply = await _gateway.Call(_sessionId, new SessionCalls.GetEvents(_last), CancellationToken.None);
        if (!reply.Succeeded)
        {
            // Gone while we were not subscribed, and no tombstone kept its log: it expired.
            if (reply.Status == SessionStatus.SessionNotFound) Broadcast(new SessionEvent(_last + 1, SessionEventKind.Expired, 0, [], null));
            // The session's rate limit: the events wait in its log, and a later push may not come to ask for them.
            else if (reply.Status == SessionStatus.RateLimited) _ = RetryLater(new ResubscribeWork());
            return;
        }
        var events = reply.Value.Events;
        if (reply.Value.Gap)
        {
            var gap = SessionEventJson.Gap(_last);
            foreach (var socket in _sockets)
            {
                socket.Send(gap);
                socket.NextSeq = 0;
            }
            _last = events.Count > 0 ? events[0].Seq - 1 : reply.Value.LatestSeq;
        }
        foreach (var e in events)
        {
            if (e.Seq > _last) Broadcast(e);
        }
    }

    private void Broadcast(SessionEvent e)
    {
        if (_sockets.Count > 0)
        {
            var utf8 = SessionEventJson.Of(e);
            foreach (var socket in _sockets) socket.Deliver(e, utf8);
        }
        _last = e.Seq;
    }

    private abstract record Work;

    private sealed record AdmitWork(TaskCompletionSource<Reply<Subscribed>> Reply) : Work;

    private sealed record JoinWork(EventOutbox Socket, long? AfterSeq) : Work;

    private sealed record LeaveWork(EventOutbox Socket) : Work;

    private sealed record EventsWork(IReadOnlyList<SessionEvent> Events) : Work;

    private sealed record ResubscribeWork : Work;

    private sealed record StopWork : Work;

    [LoggerMessage(EventId = 4001, Level = LogLevel.Warning, Message = "Session feed {SessionId}: {Work} failed; resubscribing")]
    private partial void LogFeedFailure(Exception ex, string sessionId, string work);
}
