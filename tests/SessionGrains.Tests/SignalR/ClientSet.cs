namespace SessionGrains.Tests.SignalR;

/// <summary>Disposes every client a test connected, whatever the test's outcome.</summary>
public sealed class ClientSet : IAsyncDisposable
{
    private readonly List<ChatClient> _clients = [];

    public ChatClient Add(ChatClient client)
    {
        lock (_clients) _clients.Add(client);
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients) await client.DisposeAsync();
    }
}
