using Microsoft.AspNetCore.SignalR.Client;
using SessionGrains.Tests.Infrastructure;
using Xunit;

namespace SessionGrains.Tests.SignalR;

/// <summary>
/// How the example chat's hub methods address recipients across the two front ends behind round-robin nginx:
/// groups (join, leave), users (every session of the user) and everyone.
/// </summary>
[Collection(SignalRCollection.Name)]
public sealed class HubAddressingTests(SignalRCluster fixture)
{
    private static readonly TimeSpan Arrival = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task Rooms_users_and_everyone_reach_exactly_their_recipients_on_either_front_end()
    {
        var room = $"room-{Guid.NewGuid():N}";
        var user = $"user-{Guid.NewGuid():N}";
        await using var clients = new ClientSet();
        // Connected one after another through round robin: the two sessions of the user land on different front ends.
        var member = clients.Add(await ChatClient.Connect("member", fixture.GrainsHub, await Token(user), resumable: true));
        var sameUser = clients.Add(await ChatClient.Connect("same-user", fixture.GrainsHub, await Token(user), resumable: true));
        var leaver = clients.Add(await ChatClient.Connect("leaver", fixture.GrainsHub, await Token(null), resumable: true));
        var sender = clients.Add(await ChatClient.Connect("sender", fixture.GrainsHub, await Token(null), resumable: false));
        await member.Join(room);
        await leaver.Join(room);
        await leaver.Connection.InvokeAsync("Leave", room);

        await sender.Connection.InvokeAsync("Say", room, "1");
        await sender.Connection.InvokeAsync("Whisper", user, "2");
        await sender.Connection.InvokeAsync("Announce", "3");

        await Until(() => member.Received.Count >= 3 && sameUser.Received.Count >= 2 && leaver.Received.Count >= 1);
        await Task.Delay(TimeSpan.FromSeconds(1)); // anything misaddressed would arrive by now
        Assert.Equal([1L, 2L, 3L], member.Received.Select(m => m.Number));
        Assert.Equal([2L, 3L], sameUser.Received.Select(m => m.Number));
        Assert.Equal([3L], leaver.Received.Select(m => m.Number));
        // The sender is a connected session too: "everyone" includes it.
        Assert.Equal([3L], sender.Received.Select(m => m.Number));
    }

    private async Task<string> Token(string? user)
    {
        var cluster = fixture.Cluster;
        var api = new SessionApi(cluster.CreateClient(1));
        return (user is null ? await api.Create() : await api.Create($$"""{"userId":"{{user}}"}""", cluster.ApiKey)).Token;
    }

    private static async Task Until(Func<bool> condition)
    {
        var deadline = ChatClient.Now + Arrival;
        while (!condition() && ChatClient.Now < deadline) await Task.Delay(50);
    }
}
