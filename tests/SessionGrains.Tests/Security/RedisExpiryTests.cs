using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SessionGrains.Hosting;
using SessionGrains.Interfaces;
using StackExchange.Redis;
using SessionGrains.Tests.Infrastructure;
using Xunit;

namespace SessionGrains.Tests.Security;

/// <summary>
/// Finding: Redis keys lived for the absolute lifetime plus a day (8 days) whatever a session's idle timeout, so an
/// abandoned 30-minute session was kept ~384 times too long. Now a key expires at its record's purge time. Runs a
/// cluster-mode silo against a real redis-server.
/// </summary>
public sealed class RedisExpiryTests : IAsyncLifetime
{
    private RedisSiloHost? _host;

    public async Task InitializeAsync()
    {
        _host = await RedisSiloHost.Start("expiry");
    }

    [Theory]
    [InlineData(30)]
    [InlineData(2)]
    public async Task A_sessions_key_expires_near_its_purge_time_not_after_eight_days(int idleMinutes)
    {
        var id = SessionTokens.NewId();
        var grain = _host!.Grains.GetGrain<ISessionGrain>(id);
        var created = await grain.Create(new SessionCreation(new Dictionary<string, string> { ["a"] = "1" }, TimeSpan.FromMinutes(idleMinutes), null, null));
        Assert.Equal(SessionStatus.Ok, created.Status);

        var ttl = await TimeToLiveOf(id);
        // Purge time: the stored expiry, plus half an idle timeout, plus a minute of grace for clocks; rounded up to an
        // eighth of the idle timeout, so that most writes leave the key's expiry as it is.
        var purge = TimeSpan.FromMinutes(idleMinutes * 1.5 + 1);
        var step = TimeSpan.FromMinutes(idleMinutes / 8.0);
        Assert.InRange(ttl, purge - TimeSpan.FromSeconds(30), purge + step + TimeSpan.FromSeconds(5));

        // A later write moves the expiry with the session; it never falls back to the fixed one.
        Assert.Equal(SessionStatus.Ok, (await grain.Put("b", "2", SessionWrite.Unconditional)).Status);
        Assert.InRange(await TimeToLiveOf(id), purge - TimeSpan.FromSeconds(30), purge + step + TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task Writes_within_one_step_of_the_purge_time_leave_the_keys_expiry_alone_and_it_never_falls_short()
    {
        var id = SessionTokens.NewId();
        var grain = _host!.Grains.GetGrain<ISessionGrain>(id);
        Assert.Equal(SessionStatus.Ok, (await grain.Create(new SessionCreation(new Dictionary<string, string> { ["a"] = "1" }, TimeSpan.FromMinutes(30), null, null))).Status);
        var before = await ExpirySettings();
        for (var i = 0; i < 20; i++) Assert.Equal(SessionStatus.Ok, (await grain.Put("b", i.ToString(System.Globalization.CultureInfo.InvariantCulture), SessionWrite.Unconditional)).Status);
        // The purge time moved by milliseconds; rounded up to the step (3.75 min) it crossed a step at most once.
        Assert.InRange(await ExpirySettings() - before, 0, 1);
        // The expiry still covers the purge time: 46 minutes from the last access, less the time the writes took.
        Assert.InRange(await TimeToLiveOf(id), TimeSpan.FromMinutes(46) - TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(46 + 3.75) + TimeSpan.FromSeconds(5));
    }

    /// <summary>How many PEXPIREAT commands the server has run (the write script's included).</summary>
    private async Task<long> ExpirySettings()
    {
        var stats = await _host!.Server.InfoAsync("commandstats");
        var line = stats.SelectMany(group => group).FirstOrDefault(entry => entry.Key == "cmdstat_pexpireat").Value;
        if (line is null) return 0;
        var calls = line.Split(',')[0];
        return long.Parse(calls["calls=".Length..], System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public void The_storage_key_has_the_layout_of_Orleans_default_so_stored_sessions_stay_readable()
    {
        var key = ExpiringRedisStorage.KeyFunction("svc")("session", GrainId.Create("session", "abc"));
        Assert.Equal("svc/state/session/abc/session", key.ToString());
    }

    private async Task<TimeSpan> TimeToLiveOf(string sessionId)
    {
        var server = _host!.Server;
        var keys = new List<RedisKey>();
        // The session's hash (its id is the key's hash tag), not its grain directory entry.
        await foreach (var key in server.KeysAsync(pattern: "*/session/*"))
        {
            if (key.ToString().EndsWith($"{{{sessionId}}}", StringComparison.Ordinal)) keys.Add(key);
        }
        var single = Assert.Single(keys);
        var ttl = await _host.Connection.GetDatabase().KeyTimeToLiveAsync(single);
        Assert.NotNull(ttl);
        return ttl.Value;
    }

    public async Task DisposeAsync()
    {
        if (_host is not null) await _host.DisposeAsync();
    }
}
