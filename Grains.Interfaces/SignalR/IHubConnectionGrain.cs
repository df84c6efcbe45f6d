namespace SessionGrains.Interfaces.SignalR;

/// <summary>
/// Which mailbox a live connection id belongs to (key: <see cref="HubKeys.Connection"/>), so that any front end can
/// address <c>Clients.Client(id)</c> or add a connection of another front end to a group. Kept in memory only: the
/// front end holding the connection writes it again on every renewal, so a lost activation is soon rebuilt.
/// </summary>
public interface IHubConnectionGrain : IGrainWithStringKey
{
    Task Set(string mailbox);

    Task<string?> Get();

    Task Clear();
}
