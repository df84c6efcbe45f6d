namespace SessionGrains.Interfaces.SignalR;

/// <summary>
/// What a mailbox holds after a point: the last sequence number it gave out and its entries after the point, oldest
/// first. A first entry later than the point plus one means the messages in between have passed the retention.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record MailboxView(
    [property: Id(0)] long LastSequence,
    [property: Id(1)] IReadOnlyList<MailboxEntry> Entries);
