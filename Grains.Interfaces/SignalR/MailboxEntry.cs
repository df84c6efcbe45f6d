namespace SessionGrains.Interfaces.SignalR;

/// <summary>An envelope stored in a recipient's mailbox under the recipient's own sequence number (1, 2, 3, …).</summary>
[GenerateSerializer, Immutable]
public sealed record MailboxEntry(
    [property: Id(0)] long Sequence,
    [property: Id(1)] HubEnvelope Envelope,
    [property: Id(2)] DateTimeOffset StoredAt);
