using Microsoft.Extensions.Options;
using SessionGrains.Client.Sessions;
using SessionGrains.Interfaces;

namespace SessionGrains.Client.Sockets;

/// <summary>
/// The feeds of every session that has sockets on this front end, and the one observer object through which
/// session grains push events here. Renews every subscription periodically and at once when the set of
/// reachable silos changes (a failover), since a reactivated grain has no subscribers yet.
/// </summary>
public sealed partial class SessionFeeds : ISessionObserver, IHostedService
{
    private readonly Dictionary<string, SessionFeed> _feeds = new(StringComparer.Ordinal);
    private readonly IGrainFactory _grains;
    private readonly SessionGateway _gateway;
    private readonly SessionSocketOptions _options;
    private readonly ILogger<SessionFeeds> _logger;
    private readonly CancellationTokenSource _stopping = new();
    private ISessionObserver? _reference;
    private Task _renewal = Task.CompletedTask;

    public SessionFeeds(IGrainFactory grains, SessionGateway gateway, IOptions<SessionSocketOptions> options, ILogger<SessionFeeds> logger)
    {
        _grains = grains;
        _gateway = gateway;
        _options = options.Value;
        _logger = logger;
    }

    private ISessionObserver Reference
    {
        get
        {
            lock (_feeds) return _reference ??= _grains.CreateObjectReference<ISessionObserver>(this);
        }
    }

    /// <summary>Reserves a socket place in the session's feed and subscribes; on refusal the place is given back.</summary>
    public async Task<(SessionFeed? Feed, Reply<Subscribed> Reply)> Open(string sessionId, CancellationToken cancellationToken)
    {
        var observer = Reference;
        SessionFeed feed;
        lock (_feeds)
        {
            if (!_feeds.TryGetValue(sessionId, out feed!))
            {
                feed = new SessionFeed(sessionId, _gateway, observer, _logger, _options.FeedQueueLength);
                _feeds[sessionId] = feed;
            }
            feed.Reserved++;
        }
        try
        {
            var reply = await feed.Admit(cancellationToken);
            if (reply.Succeeded) return (feed, reply);
            Release(sessionId, feed);
            return (null, reply);
        }
        catch
        {
            Release(sessionId, feed);
            throw;
        }
    }

    /// <summary>Gives back a socket place; the last one out unsubscribes the feed.</summary>
    public void Release(string sessionId, SessionFeed feed)
    {
        lock (_feeds)
        {
            if (--feed.Reserved > 0) return;
            _feeds.Remove(sessionId);
        }
        _ = StopAndRenewSuccessor(sessionId, feed);
    }

    /// <summary>
    /// Stops <paramref name="feed"/>, then renews the subscription of a newer feed of the same session, if a socket opened
    /// one meanwhile (a page reload: one socket closes, the next opens). Both feeds subscribe the front end's one
    /// observer, so the old feed's unsubscribe, arriving at the grain after the new feed's subscribe, would leave the new
    /// one without pushes until the periodic renewal, and a busy session's log could run past it (a gap).
    /// </summary>
    private async Task StopAndRenewSuccessor(string sessionId, SessionFeed feed)
    {
        await feed.Stop();
        SessionFeed? successor;
        lock (_feeds) _feeds.TryGetValue(sessionId, out successor);
        if (successor is not null && successor != feed) successor.Resubscribe();
    }

    public Task OnEvents(string sessionId, IReadOnlyList<SessionEvent> events)
    {
        SessionFeed? feed;
        lock (_feeds) _feeds.TryGetValue(sessionId, out feed);
        feed?.Push(events);
        return Task.CompletedTask;
    }

    public void ResubscribeAll()
    {
        List<SessionFeed> feeds;
        lock (_feeds) feeds = [.. _feeds.Values];
        if (feeds.Count > 0) LogResubscribing(feeds.Count);
        foreach (var feed in feeds) feed.Resubscribe();
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _renewal = RenewPeriodically();
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        await _renewal.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    private async Task RenewPeriodically()
    {
        using var timer = new PeriodicTimer(_options.ResubscribeInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token)) ResubscribeAll();
        }
        catch (OperationCanceledException)
        {
        }
    }

    [LoggerMessage(EventId = 4002, Level = LogLevel.Debug, Message = "Renewing {Count} session subscriptions")]
    private partial void LogResubscribing(int count);
}
