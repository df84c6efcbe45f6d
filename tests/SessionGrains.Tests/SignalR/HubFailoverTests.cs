using SessionGrains.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace SessionGrains.Tests.SignalR;

/// <summary>
/// The example chat on SessionGrains.SignalR and the stock Redis backplane, side by side behind round-robin nginx with
/// no affinity, while messages flow: SIGKILL of one server of each (front end 1 / Redis app 1), then of a silo. Every
/// recipient on grains must get every acknowledged message once, in order; the Redis side's losses are counted.
/// </summary>
[Collection(SignalRCollection.Name)]
public sealed class HubFailoverTests(SignalRCluster fixture, ITestOutputHelper output)
{
    private const string Room = "failover";
    private static readonly TimeSpan Pause = TimeSpan.FromMilliseconds(20);

    [Fact]
    public async Task NoAcknowledgedMessageIsLostOrRepeatedWhenAFrontEndAndASiloDie()
    {
        var cluster = fixture.Cluster;
        var users = Enumerable.Range(0, 3).Select(i => $"failover-user-{i}-{Guid.NewGuid():N}").ToList();
        await using var clients = new ClientSet();
        var grains = await Side("grains", fixture.GrainsHub, users, clients, async user =>
        {
            var session = await new SessionApi(cluster.CreateClient(1)).Create($$"""{"userId":"{{user}}"}""", cluster.ApiKey);
            return session.Token;
        });
        var redis = await Side("redis", fixture.RedisHub, users, clients, _ => Task.FromResult<string?>(null));

        using var stopSending = new CancellationTokenSource();
        var sending = Task.WhenAll(grains.Send(stopSending.Token, Pause), redis.Send(stopSending.Token, Pause));
        TimeSpan killedAt;
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(3));
            killedAt = ChatClient.Now;
            await Task.WhenAll(cluster.KillFrontEnd(1), fixture.KillRedisApp(1));
            output.WriteLine($"front end 1 and Redis app 1 SIGKILLed at {killedAt.TotalSeconds:F1}s");
            await Task.Delay(TimeSpan.FromSeconds(5));
            await cluster.KillSilo(2);
            output.WriteLine($"silo 2 SIGKILLed at {ChatClient.Now.TotalSeconds:F1}s");
            await Task.Delay(TimeSpan.FromSeconds(6));
        }
        finally
        {
            await stopSending.CancelAsync();
            await sending.WaitAsync(TimeSpan.FromSeconds(90));
        }

        // Every recipient on grains reconnects and catches up; the deadline only bounds a failure.
        var deadline = ChatClient.Now + TimeSpan.FromSeconds(60);
        while (!grains.Complete() && ChatClient.Now < deadline) await Task.Delay(100);
        await Task.Delay(TimeSpan.FromSeconds(2)); // late repeats would show up here
        try
        {
            Report(grains, killedAt);
            Report(redis, killedAt);
            var redisLost = redis.Tally().Sum(t => t.Missing);
            output.WriteLine($"FIGURE redis-backplane lost {redisLost} acknowledged deliveries of {redis.Recipients.Sum(r => redis.ExpectedBy(r.User).Count)} "
                + $"({redis.Tally().Sum(t => t.Duplicated)} duplicated); grains lost {grains.Tally().Sum(t => t.Missing)} of {grains.Recipients.Sum(r => grains.ExpectedBy(r.User).Count)}");

            Assert.True(grains.Acknowledged > 100, $"too few messages were sent to prove anything: {grains.Acknowledged}");
            Assert.Contains(grains.Recipients, r => r.Client.Reconnecting.Any(t => t >= killedAt));
            foreach (var tally in grains.Tally())
            {
                Assert.True(tally.Missing == 0 && tally.Duplicated == 0 && tally.InOrder && tally.NeverSent == 0, tally.ToString());
            }
        }
        finally
        {
            await cluster.StartFrontEnd(1);
            await cluster.StartSilo(2);
            await fixture.StartRedisApp(1);
        }
    }

    private static async Task<ChatRun> Side(string side, Uri hub, IReadOnlyList<string> users, ClientSet clients, Func<string, Task<string?>> tokenFor)
    {
        var recipients = new List<(ChatClient, string)>();
        // Two sessions per user; connected one after another, so round robin spreads them over both servers.
        for (var i = 0; i < users.Count * 2; i++)
        {
            var user = users[i % users.Count];
            var url = side == "redis" ? new Uri(hub + "?user=" + user) : hub;
            var client = clients.Add(await ChatClient.Connect($"{side}-{i}", url, await tokenFor(user), resumable: side != "redis"));
            await client.Join(Room);
            recipients.Add((client, user));
        }
        // Two senders connected one after the other: round robin puts one on the server that will be killed.
        var senders = new List<ChatClient>();
        for (var k = 0; k < 2; k++) senders.Add(clients.Add(await ChatClient.Connect($"{side}-sender-{k}", hub, await tokenFor("sender-" + Guid.NewGuid().ToString("N")), resumable: false)));
        return new ChatRun(side, recipients, senders, Room, users);
    }

    private void Report(ChatRun run, TimeSpan killedAt)
    {
        output.WriteLine($"{run.Side}: {run.Acknowledged} messages acknowledged, {run.Unknown} unknown (the sender's invocation failed)");
        foreach (var tally in run.Tally()) output.WriteLine("  " + tally);
        foreach (var (client, _) in run.Recipients)
        {
            if (client.Reconnecting.FirstOrDefault(t => t >= killedAt) is var lost && lost == default) continue;
            var back = client.Reconnected.FirstOrDefault(t => t >= lost);
            var first = client.Received.FirstOrDefault(m => m.At >= lost).At;
            output.WriteLine($"  {client.Name} lost its server: reconnected {(back - killedAt).TotalMilliseconds:F0} ms after the kill, "
                + $"first message after it {(first == default ? "none" : $"{(first - killedAt).TotalMilliseconds:F0} ms")} after the kill");
        }
    }
}
