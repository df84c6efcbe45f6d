using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using SessionGrains.Direct;
using SessionGrains.Grains;
using SessionGrains.Grains.Storage;
using SessionGrains.Hosting;
using SessionGrains.Interfaces;
using SessionGrains.Tests.Infrastructure;
using StackExchange.Redis;
using Xunit;
using Xunit.Abstractions;

namespace SessionGrains.Tests.Storage;

/// <summary>
/// <see cref="ReplicaAckRounds"/> on a real primary with a real replica: writes sent while a WAIT is in flight share the
/// next WAIT, and a write is confirmed only once the replica holds it; session writes batched across sessions
/// (<see cref="RedisWriteBatches"/>) share script calls and WAITs alike.
/// </summary>
public sealed class ReplicaAckRoundsTests(ITestOutputHelper output) : IAsyncLifetime
{
    private RedisServer? _primary;
    private RedisServer? _replica;
    private ConnectionMultiplexer? _redis;

    public async Task InitializeAsync()
    {
        _primary = await RedisServer.Start("always", CancellationToken.None);
        _replica = await RedisServer.Start("always", CancellationToken.None);
        var admin = RedisConnection.Options(_replica.ConnectionString);
        admin.AllowAdmin = true;
        await using (var replica = await ConnectionMultiplexer.ConnectAsync(admin))
        {
            await replica.GetServer(replica.GetEndPoints()[0]).ReplicaOfAsync(System.Net.IPEndPoint.Parse(_primary.ConnectionString));
        }
        var options = RedisConnection.Options(_primary.ConnectionString);
        options.AllowAdmin = true;
        _redis = await ConnectionMultiplexer.ConnectAsync(options);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while ((await Primary.InfoRawAsync("replication"))?.Contains("state=online", StringComparison.Ordinal) != true)
        {
            Assert.True(DateTime.UtcNow < deadline, "the replica did not come online within 30 s");
            await Task.Delay(100);
        }
    }

    private IServer Primary => _redis!.GetServer(_redis.GetEndPoints()[0]);

    [Fact]
    public async Task Concurrent_writes_share_WAITs_and_each_is_confirmed_once_the_replica_holds_it()
    {
        var rounds = new ReplicaAckRounds(TimeSpan.FromSeconds(1));
        var db = _redis!.GetDatabase();
        var waitsBefore = await WaitCalls();
        var writes = Enumerable.Range(0, 400).Select(i => rounds.Send(Primary, () => db.ExecuteAsync("SET", $"k{i}", i), 1)).ToList();
        await Task.WhenAll(writes.Select(w => w.Write));
        var confirmed = await Task.WhenAll(writes.Select(w => w.Confirmed));
        var waits = await WaitCalls() - waitsBefore;
        output.WriteLine($"400 concurrent writes confirmed by {waits} WAIT(s)");
        Assert.All(confirmed, c => Assert.Equal(1, c));
        Assert.True(waits < 100, $"{waits} WAITs for 400 writes: rounds are not shared");

        // Confirmed means the replica has it: read every key from the replica itself.
        await using var replica = await ConnectionMultiplexer.ConnectAsync(RedisConnection.Options(_replica!.ConnectionString));
        for (var i = 0; i < 400; i++) Assert.Equal(i, (int)await replica.GetDatabase().StringGetAsync($"k{i}", CommandFlags.PreferReplica));
    }

    [Fact]
    public async Task While_the_replica_is_frozen_no_write_is_confirmed_and_the_next_round_is_once_it_is_back()
    {
        var rounds = new ReplicaAckRounds(TimeSpan.FromMilliseconds(500));
        var db = _redis!.GetDatabase();
        using (var frozen = System.Diagnostics.Process.Start("kill", ["-STOP", _replica!.Pid.ToString()]))
        {
            await frozen.WaitForExitAsync();
        }
        List<(Task<RedisResult> Write, Task<long> Confirmed)> writes;
        try
        {
            writes = Enumerable.Range(0, 20).Select(i => rounds.Send(Primary, () => db.ExecuteAsync("SET", $"f{i}", i), 1)).ToList();
            var confirmed = await Task.WhenAll(writes.Select(w => w.Confirmed));
            Assert.All(confirmed, c => Assert.Equal(0, c));
        }
        finally
        {
            using var resumed = System.Diagnostics.Process.Start("kill", ["-CONT", _replica.Pid.ToString()]);
            await resumed.WaitForExitAsync();
        }
        var after = rounds.Send(Primary, () => db.ExecuteAsync("SET", "after", 1), 1);
        await after.Write;
        Assert.Equal(1, await after.Confirmed.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task Concurrent_session_writes_with_acks_share_script_calls_and_WAITs_and_the_replica_holds_every_one()
    {
        const int Sessions = 150;
        using var services = new ServiceCollection()
            .AddSerializer(serializer => serializer.AddAssembly(typeof(SessionState).Assembly).AddAssembly(typeof(SessionInfo).Assembly))
            .BuildServiceProvider();
        var store = new RedisSessionStore(Task.FromResult<IConnectionMultiplexer>(_redis!), () => Task.FromResult<IConnectionMultiplexer>(_redis!),
            new ReplicaAcks(1, TimeSpan.FromSeconds(1)), "acks", new SessionRecord(services.GetRequiredService<Serializer>()), earlier: null,
            TimeProvider.System, TimeSpan.FromDays(8), batchWrites: true);
        var now = DateTimeOffset.UtcNow;
        var first = new SessionState { Version = 1, CreatedAt = now, LastAccessAt = now, IdleTimeout = TimeSpan.FromMinutes(30), AbsoluteExpiry = now.AddDays(7), PurgeAfter = now.AddMinutes(46) };
        var second = first with { Version = 2, LastAccessAt = now.AddSeconds(1) };
        var ids = Enumerable.Range(0, Sessions).Select(_ => GrainClusterFixture.NewSessionId()).ToArray();
        foreach (var id in ids) await store.Write(GrainId.Create("sessiongrain", id), 0, 1, SessionState.None, first);
        var (scriptsBefore, waitsBefore) = (await ScriptCalls(), await WaitCalls());

        // All started at once, as by many grains; every one answers only once a replica confirmed it.
        await Task.WhenAll(ids.Select(id => store.Write(GrainId.Create("sessiongrain", id), 1, 2, first, second)));
        var (scripts, waits) = (await ScriptCalls() - scriptsBefore, await WaitCalls() - waitsBefore);
        output.WriteLine($"{Sessions} concurrent session writes with acks: {scripts} script calls, {waits} WAIT(s)");
        Assert.InRange(scripts, 3, Sessions / 3);
        Assert.InRange(waits, 1, scripts);

        // Confirmed means the replica has it: every session at revision 2, read from the replica itself.
        await using var replica = await ConnectionMultiplexer.ConnectAsync(RedisConnection.Options(_replica!.ConnectionString));
        foreach (var id in ids)
            Assert.Equal(2, (long)await replica.GetDatabase().HashGetAsync(RedisSessionStore.KeyOf("acks", id), "r", CommandFlags.PreferReplica));
    }

    private async Task<long> ScriptCalls() => await Calls("evalsha") + await Calls("eval");

    private Task<long> WaitCalls() => Calls("wait");

    private async Task<long> Calls(string command)
    {
        var stats = (await Primary.InfoAsync("commandstats")).SelectMany(g => g).FirstOrDefault(p => p.Key == "cmdstat_" + command).Value;
        return stats is null ? 0 : long.Parse(stats.Split(',')[0]["calls=".Length..]);
    }

    public async Task DisposeAsync()
    {
        if (_redis is not null) await _redis.DisposeAsync();
        if (_replica is not null) await _replica.DisposeAsync();
        if (_primary is not null) await _primary.DisposeAsync();
    }
}
