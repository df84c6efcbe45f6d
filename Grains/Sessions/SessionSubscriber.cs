using SessionGrains.Interfaces;

namespace SessionGrains.Grains;

/// <summary>A front end subscribed to a session, and how many of the session's sockets it holds.</summary>
public sealed record SessionSubscriber(ISessionObserver Observer, int Sockets);
