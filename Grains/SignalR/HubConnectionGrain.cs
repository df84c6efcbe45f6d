using SessionGrains.Interfaces.SignalR;

namespace SessionGrains.Grains.SignalR;

/// <summary>In memory only; see <see cref="IHubConnectionGrain"/> for why that is enough.</summary>
public sealed class HubConnectionGrain : Grain, IHubConnectionGrain
{
    private string? _mailbox;

    public Task Set(string mailbox)
    {
        _mailbox = mailbox;
        return Task.CompletedTask;
    }

    public Task<string?> Get() => Task.FromResult(_mailbox);

    public Task Clear()
    {
        _mailbox = null;
        DeactivateOnIdle();
        return Task.CompletedTask;
    }
}
