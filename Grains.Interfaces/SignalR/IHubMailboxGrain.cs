namespace SessionGrains.Interfaces.SignalR;

/// <summary>
/// The undelivered and recent messages of one recipient of one hub (key: <see cref="HubKeys.Mailbox"/>), persisted,
/// numbered in the order they were stored, and pushed to the front ends that hold the recipient's connections.
/// </summary>
public interface IHubMailboxGrain : IGrainWithStringKey
{
    /// <summary>
    /// Stores the envelope (once: an id already held is not stored again) and returns after the write. True when the
    /// mailbox is abandoned (no front end attached for longer than the retention), so a group can drop it.
    /// </summary>
    Task<bool> Append(HubEnvelope envelope, HubRetention retention);

    /// <summary>Subscribes a front end (renewed periodically) and returns the entries after <paramref name="after"/> (none when null).</summary>
    Task<MailboxView> Attach(IHubDeliveryObserver observer, long? after, HubRetention retention);

    /// <summary>The entries after <paramref name="after"/>, for a front end that saw a gap.</summary>
    Task<MailboxView> Read(long after);

    /// <summary>The front end holds no connection of this recipient any more.</summary>
    Task Detach(IHubDeliveryObserver observer);
}
