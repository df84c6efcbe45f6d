using Microsoft.AspNetCore.SignalR.Client;
using SessionGrains.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace SessionGrains.Tests.SignalR;

/// <summary>
/// Figures for docs/SIGNALR.md: room fan-out on grains and on the stock Redis backplane, one after the other on the same
/// machine and cluster. Deliveries a second and CPU per delivered message of every server process (silos, front ends
/// and redis-server; Redis apps and redis-server), measured from /proc. Both must deliver everything.
/// </summary>
[Collection(SignalRCollection.Name)]
public sealed class HubFanOutTests(SignalRCluster fixture, ITestOutputHelper output)
{
    private const int Recipients = 20;
    private const int Senders = 16;
    private const int MessagesPerSender = 20;

    [Fact]
    public async Task RoomFanOutFiguresOnGrainsAndOnTheRedisBackplane()
    {
        var cluster = fixture.Cluster;
        var grainsPids = Enumerable.Range(1, cluster.SiloCount).Select(cluster.SiloPid)
            .Concat(Enumerable.Range(1, cluster.FrontEndUrls.Count).Select(cluster.FrontEndPid)).Append(cluster.RedisPid).ToList();
        var grains = await Measure("grains", fixture.GrainsHub, grainsPids, async () =>
            (await new SessionApi(cluster.CreateClient(1)).Create()).Token);
        var redis = await Measure("redis-backplane", fixture.RedisHub, [fixture.RedisAppPid(1), fixture.RedisAppPid(2), cluster.RedisPid], () => Task.FromResult<string?>(null));
        output.WriteLine($"FIGURE fan-out grains/redis: {grains.PerSecond / redis.PerSecond:F2}x the deliveries a second, {grains.CpuPerMessage / redis.CpuPerMessage:F2}x the CPU per delivery");
    }

    private async Task<(double PerSecond, double CpuPerMessage)> Measure(string side, Uri hub, IReadOnlyList<int> pids, Func<Task<string?>> token)
    {
        var room = $"fanout-{Guid.NewGuid():N}";
        await using var clients = new ClientSet();
        var recipients = new List<ChatClient>();
        for (var i = 0; i < Recipients; i++)
        {
            var client = clients.Add(await ChatClient.Connect($"{side}-{i}", hub, await token(), resumable: side == "grains"));
            await client.Join(room);
            recipients.Add(client);
        }
        var senders = new List<ChatClient>();
        for (var i = 0; i < Senders; i++) senders.Add(clients.Add(await ChatClient.Connect($"{side}-sender-{i}", hub, await token(), resumable: false)));

        const int expected = Senders * MessagesPerSender;
        // What the servers burn with nothing to do (timers, membership, renewals), so the figure can be read net of it.
        var idleBefore = ProcessCpu.Of(pids);
        await Task.Delay(TimeSpan.FromSeconds(3));
        var idlePerSecond = (ProcessCpu.Of(pids) - idleBefore) / 3;
        var cpuBefore = ProcessCpu.Of(pids);
        var eachBefore = pids.Select(p => ProcessCpu.Of([p])).ToList();
        var started = ChatClient.Now;
        await Task.WhenAll(senders.Select((sender, k) => Task.Run(async () =>
        {
            for (var i = 1; i <= MessagesPerSender; i++) await sender.Connection.InvokeAsync("Say", room, (k * 1_000_000L + i).ToString());
        })));
        var acknowledged = ChatClient.Now - started;
        var deadline = ChatClient.Now + TimeSpan.FromSeconds(120);
        while (recipients.Any(r => r.Received.Count < expected) && ChatClient.Now < deadline) await Task.Delay(20);
        var elapsed = recipients.Max(r => r.Received.Count == 0 ? TimeSpan.Zero : r.Received[^1].At) - started;
        var cpu = ProcessCpu.Of(pids) - cpuBefore;
        var net = cpu - idlePerSecond * (ChatClient.Now - started).TotalSeconds;
        output.WriteLine($"{side} CPU by process: " + string.Join(", ", pids.Select((p, i) => $"{p}: {(ProcessCpu.Of([p]) - eachBefore[i]).TotalSeconds:F2} s")));

        var delivered = recipients.Sum(r => r.Received.Select(m => m.Number).Distinct().Count());
        var perSecond = delivered / elapsed.TotalSeconds;
        var cpuPerMessage = net.TotalMicroseconds / delivered;
        output.WriteLine($"FIGURE {side}: {expected} room messages x {Recipients} recipients = {delivered} deliveries in {elapsed.TotalSeconds:F2} s "
            + $"({perSecond:F0}/s; sends acknowledged at {expected / acknowledged.TotalSeconds:F0}/s); server CPU {cpu.TotalSeconds:F2} s = {cpu.TotalMicroseconds / delivered:F0} us per delivery, "
            + $"{cpuPerMessage:F0} us net of the {idlePerSecond.TotalMilliseconds:F0} ms a second the servers used idle just before");
        Assert.Equal(Recipients * expected, delivered);
        Assert.All(recipients, r => Assert.Equal(expected, r.Received.Count));
        return (perSecond, cpuPerMessage);
    }
}
