namespace SessionGrains.Interfaces.SignalR;

/// <summary>
/// How long a mailbox keeps messages: at most <see cref="MaxMessages"/>, none older than <see cref="Lifetime"/>.
/// Sent with each call by the front end (its configuration decides), so silos need no SignalR settings of their own.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record HubRetention(
    [property: Id(0)] int MaxMessages,
    [property: Id(1)] TimeSpan Lifetime);
