namespace SessionGrains.Interfaces.SignalR;

/// <summary>
/// One hub invocation as the sender's front end serialized it, once per hub protocol it speaks (protocol name to the
/// protocol's message bytes), so any front end can write it to any connection without knowing the app's types.
/// <see cref="Id"/> makes a retried send land once: mailboxes drop an envelope whose id they already hold.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record HubEnvelope(
    [property: Id(0)] Guid Id,
    [property: Id(1)] IReadOnlyDictionary<string, byte[]> Payloads);
