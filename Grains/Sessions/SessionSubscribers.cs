using Microsoft.Extensions.Logging;
using Orleans.Utilities;
using SessionGrains.Interfaces;

namespace SessionGrains.Grains;

/// <summary>
/// The front ends subscribed to one session's events, each with the number of the session's sockets it holds.
/// Created with the first subscriber: most sessions never have one, and idle activations stay small.
/// </summary>
public sealed class SessionSubscribers(TimeSpan lifetime, ILogger logger)
{
    private readonly ObserverManager<ISessionObserver, SessionSubscriber> _observers = new(lifetime, logger);

    public int Count => _observers.Count;

    /// <summary>Subscribes or renews <paramref name="observer"/>; refused when the sockets of all front ends would pass the limit.</summary>
    public SessionFailure? Subscribe(ISessionObserver observer, int sockets, int maxSockets)
    {
        var others = _observers.Where(s => !s.Observer.Equals(observer)).Sum(s => s.Sockets);
        if (others + sockets > maxSockets)
            return new SessionFailure(SessionStatus.TooManySockets, $"A session may have at most {maxSockets} open WebSockets.");
        _observers.Subscribe(observer, new SessionSubscriber(observer, sockets));
        return null;
    }

    /// <summary>Every subscriber with its socket count (a session that moves silos takes them along).</summary>
    public IReadOnlyList<SessionSubscriber> All => [.. _observers];

    public void Unsubscribe(ISessionObserver observer) => _observers.Unsubscribe(observer);

    /// <summary>Pushes events to every subscriber (one-way calls); subscribers that fail or lapse are dropped.</summary>
    public Task Notify(string sessionId, IReadOnlyList<SessionEvent> events) =>
        events.Count == 0 || _observers.Count == 0
            ? Task.CompletedTask
            : _observers.Notify(subscriber => subscriber.Observer.OnEvents(sessionId, events));

    public void Clear() => _observers.Clear();
}
