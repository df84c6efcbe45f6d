using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Storage;
using SessionGrains.Grains;
using SessionGrains.Grains.Storage;
using SessionGrains.Hosting;
using SessionGrains.Tests.Infrastructure;
using Xunit;

namespace SessionGrains.Tests.Cluster;

/// <summary>The Redis grain storage exactly as cluster-mode silos configure it, against a real redis-server.</summary>
public sealed class RedisGrainStorageTests : IAsyncLifetime
{
    private RedisServer? _redis;
    private IHost? _silo;

    private IGrainStorage Storage => _silo!.Services.GetRequiredKeyedService<IGrainStorage>(SessionStorage.Name);

    public async Task InitializeAsync()
    {
        _redis = await RedisServer.Start("always", CancellationToken.None);
        _silo = await RedisSilo.Start(_redis, "storage-test");
    }

    [Fact]
    public async Task A_written_session_state_reads_back_whole_with_its_ETag()
    {
        var grainId = GrainId.Create("sessiongrain", Guid.NewGuid().ToString("N"));
        var written = new GrainState<SessionState>(new SessionState
        {
            Data = new() { ["cart"] = """["book"]""", ["n"] = "3" },
            Version = 4,
            CreatedAt = DateTimeOffset.UtcNow,
            IdleTimeout = TimeSpan.FromMinutes(30),
            UserId = "user-1",
        });
        await Storage.WriteStateAsync(SessionGrain.StateName, grainId, written);
        Assert.NotNull(written.ETag);

        var read = new GrainState<SessionState>(new SessionState());
        await Storage.ReadStateAsync(SessionGrain.StateName, grainId, read);
        Assert.True(read.RecordExists);
        Assert.Equal(written.ETag, read.ETag);
        Assert.Equal(4, read.State!.Version);
        Assert.Equal("user-1", read.State.UserId);
        Assert.Equal("""["book"]""", read.State.Data["cart"]);
    }

    [Fact]
    public async Task A_write_with_a_stale_ETag_is_refused_and_the_stored_state_stays()
    {
        var grainId = GrainId.Create("sessiongrain", Guid.NewGuid().ToString("N"));
        var first = new GrainState<SessionState>(new SessionState { Version = 1 });
        await Storage.WriteStateAsync(SessionGrain.StateName, grainId, first);
        var staleETag = first.ETag;
        first.State = new SessionState { Version = 2 };
        await Storage.WriteStateAsync(SessionGrain.StateName, grainId, first);

        var stale = new GrainState<SessionState>(new SessionState { Version = 99 }) { ETag = staleETag };
        await Assert.ThrowsAnyAsync<InconsistentStateException>(() => Storage.WriteStateAsync(SessionGrain.StateName, grainId, stale));

        var read = new GrainState<SessionState>(new SessionState());
        await Storage.ReadStateAsync(SessionGrain.StateName, grainId, read);
        Assert.Equal(2, read.State!.Version);
    }

    public async Task DisposeAsync()
    {
        if (_silo is not null)
        {
            await _silo.StopAsync();
            _silo.Dispose();
        }
        if (_redis is not null) await _redis.DisposeAsync();
    }
}
