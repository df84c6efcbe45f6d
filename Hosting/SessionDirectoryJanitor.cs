using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.GrainDirectory;
using SessionGrains.Grains.Placement;
using StackExchange.Redis;

namespace SessionGrains.Hosting;

/// <summary>
/// The Redis connection of the <see cref="SessionDirectory"/>, shared by Orleans' directory provider and the janitor.
/// </summary>
public sealed class SessionDirectoryConnection(ConfigurationOptions options) : IAsyncDisposable
{
    private readonly Lazy<Task<ConnectionMultiplexer>> _connection = new(() => ConnectionMultiplexer.ConnectAsync(options.Clone()));

    public async Task<IConnectionMultiplexer> Get() => await _connection.Value;

    public async ValueTask DisposeAsync()
    {
        if (_connection.IsValueCreated) await (await _connection.Value).DisposeAsync();
    }
}

/// <summary>
/// Removes the session directory's registrations that name a dead silo. Orleans removes such an entry when a call
/// finds it, but Redis keeps the entry of a session on a killed silo that is never called again (nothing in Orleans
/// sweeps a Redis directory). After membership declares a silo dead, the oldest active silo scans the directory's keys
/// and unregisters each entry whose silo is dead (compare-and-delete on the activation id, so a newer registration is
/// never removed). The first membership view of a silo counts too, so that a cluster restarted after every silo was
/// killed clears what the old silos left (the membership table keeps dead silos for a week by default).
/// </summary>
public sealed partial class SessionDirectoryJanitor(
    IServiceProvider services,
    IClusterMembershipService membership,
    ILocalSiloDetails local,
    SessionDirectoryConnection connection,
    IOptions<ClusterOptions> cluster,
    ILogger<SessionDirectoryJanitor> logger) : ILifecycleParticipant<ISiloLifecycle>
{
    /// <summary>Keys asked for per SCAN step (and entries read per round trip).</summary>
    private const int Batch = 500;

    /// <summary>How long after a death notice the sweep starts, so that calls in flight re-register their sessions first.</summary>
    public static readonly TimeSpan Settle = TimeSpan.FromSeconds(5);

    private readonly SiloLoop _loop = new();

    void ILifecycleParticipant<ISiloLifecycle>.Participate(ISiloLifecycle lifecycle) =>
        _loop.RunDuring(lifecycle, nameof(SessionDirectoryJanitor), ServiceLifecycleStage.Active, Watch);

    private async Task Watch(CancellationToken stopping)
    {
        var knownDead = new HashSet<SiloAddress>();
        await foreach (var snapshot in membership.MembershipUpdates.WithCancellation(stopping))
        {
            var dead = snapshot.Members.Values.Where(m => m.Status == SiloStatus.Dead).Select(m => m.SiloAddress).ToList();
            if (dead.Count(knownDead.Add) == 0) continue; // Count, not Any: every dead silo is recorded
            if (!IsOldestActive(snapshot)) continue;
            await Task.Delay(Settle, stopping);
            try
            {
                await Sweep(stopping);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogSweepFailed(ex);
            }
        }
    }

    private bool IsOldestActive(ClusterMembershipSnapshot snapshot) =>
        snapshot.Members.Values
            .Where(m => m.Status == SiloStatus.Active)
            .Select(m => m.SiloAddress)
            .OrderBy(s => s.Generation)
            .ThenBy(s => s.ToParsableString(), StringComparer.Ordinal)
            .FirstOrDefault() is { } oldest && oldest.Equals(local.SiloAddress);

    /// <summary>One pass over the directory's keys; returns how many entries it removed.</summary>
    public async Task<int> Sweep(CancellationToken cancellationToken = default)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var redis = await connection.Get();
        var database = redis.GetDatabase();
        var directory = services.GetRequiredKeyedService<IGrainDirectory>(SessionDirectory.Name);
        var pattern = SessionDirectory.KeyPrefix(cluster.Value) + "*";
        int scanned = 0, removed = 0;
        foreach (var server in redis.GetServers().Where(s => s.IsConnected && !s.IsReplica))
        {
            var keys = new List<RedisKey>(Batch);
            await foreach (var key in server.KeysAsync(database.Database, pattern, Batch).WithCancellation(cancellationToken))
            {
                keys.Add(key);
                if (keys.Count < Batch) continue;
                removed += await RemoveDead(database, directory, keys);
                scanned += keys.Count;
                keys.Clear();
            }
            removed += await RemoveDead(database, directory, keys);
            scanned += keys.Count;
        }
        LogSwept(scanned, removed, System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        return removed;
    }

    private async Task<int> RemoveDead(IDatabase database, IGrainDirectory directory, List<RedisKey> keys)
    {
        if (keys.Count == 0) return 0;
        var values = await database.StringGetAsync([.. keys]);
        var snapshot = membership.CurrentSnapshot;
        var removed = 0;
        foreach (var value in values)
        {
            if (value.IsNullOrEmpty) continue;
            GrainAddress? address;
            try
            {
                address = JsonSerializer.Deserialize<GrainAddress>((string)value!);
            }
            catch (JsonException)
            {
                continue; // not an entry this version understands: leave it
            }
            if (address?.SiloAddress is not { } silo || !IsDead(snapshot, silo)) continue;
            await directory.Unregister(address);
            removed++;
        }
        return removed;
    }

    /// <summary>Declared dead in this view. A silo absent from it (newer than the view) is left alone.</summary>
    private static bool IsDead(ClusterMembershipSnapshot snapshot, SiloAddress silo) =>
        snapshot.Members.TryGetValue(silo, out var member) && member.Status == SiloStatus.Dead;

    [LoggerMessage(EventId = 4301, Level = LogLevel.Information, Message = "Session directory swept: {Scanned} entries read, {Removed} of dead silos removed, {Milliseconds:F0} ms")]
    private partial void LogSwept(int scanned, int removed, double milliseconds);

    [LoggerMessage(EventId = 4302, Level = LogLevel.Warning, Message = "Could not sweep the session directory; the next silo death tries again")]
    private partial void LogSweepFailed(Exception ex);
}
