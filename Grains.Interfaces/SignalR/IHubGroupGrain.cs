namespace SessionGrains.Interfaces.SignalR;

/// <summary>
/// A persisted set of mailboxes of one hub (key: <see cref="HubKeys.Group"/>, <see cref="HubKeys.User"/> or
/// <see cref="HubKeys.All"/>): a SignalR group, the sessions of one user, or every recipient of the hub.
/// </summary>
public interface IHubGroupGrain : IGrainWithStringKey
{
    Task Add(string mailbox);

    Task Remove(string mailbox);

    /// <summary>
    /// Stores the envelope in every member's mailbox except <paramref name="except"/>; returns after every write.
    /// Members whose mailbox reports itself abandoned are dropped.
    /// </summary>
    Task Send(HubEnvelope envelope, IReadOnlyList<string> except, HubRetention retention);
}
