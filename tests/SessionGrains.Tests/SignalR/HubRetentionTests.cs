using Microsoft.AspNetCore.SignalR.Client;
using SessionGrains.Tests.Infrastructure;
using Xunit;

namespace SessionGrains.Tests.SignalR;

/// <summary>What a client that stayed away longer than the retention gets back, and what the .NET helper tells it.</summary>
public sealed class HubRetentionTests(ShortRetentionFrontEnd frontEnd) : IClassFixture<ShortRetentionFrontEnd>
{
    [Fact]
    public async Task A_client_back_after_the_retention_gets_the_kept_messages_in_order_and_is_told_what_it_missed()
    {
        var api = new SessionApi(frontEnd.CreateClient());
        var hub = new Uri(frontEnd.BaseAddress, "/hubs/chat");
        await using var clients = new ClientSet();
        var away = clients.Add(await ChatClient.Connect("away", hub, (await api.Create()).Token, resumable: true));
        var sender = clients.Add(await ChatClient.Connect("sender", hub, (await api.Create()).Token, resumable: false));
        var gaps = new List<(long Expected, long Received)>();
        away.Resume!.Gap += (expected, received) => gaps.Add((expected, received));
        await away.Join("room");

        await sender.Connection.InvokeAsync("Say", "room", "1");
        await Until(() => away.Received.Count == 1);
        await away.Connection.StopAsync();
        for (var n = 2; n <= 6; n++) await sender.Connection.InvokeAsync("Say", "room", n.ToString());
        await away.Connection.StartAsync();
        await Until(() => away.Received.Count >= 4);
        await Task.Delay(500); // a repeat would arrive by now

        // Numbers 2 and 3 passed the retention (3 kept: 4, 5, 6); the helper saw the jump from 1 to 4.
        Assert.Equal([1L, 4L, 5L, 6L], away.Received.Select(m => m.Number));
        Assert.Equal([(2L, 4L)], gaps);
        Assert.Equal(6, away.Resume.Last);
    }

    private static async Task Until(Func<bool> condition)
    {
        var deadline = ChatClient.Now + TimeSpan.FromSeconds(15);
        while (!condition() && ChatClient.Now < deadline) await Task.Delay(20);
    }
}
