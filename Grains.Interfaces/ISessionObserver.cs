using Orleans.Concurrency;

namespace SessionGrains.Interfaces;

/// <summary>A front end's subscription to one session's events (one per session per front end, shared by its sockets).</summary>
public interface ISessionObserver : IGrainObserver
{
    /// <summary>New events of session <paramref name="sessionId"/>, in order. One-way: a slow front end never slows the grain.</summary>
    [OneWay]
    Task OnEvents(string sessionId, IReadOnlyList<SessionEvent> events);
}
