using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace SessionGrains.Hosting;

/// <summary>
/// How many Redis replicas must confirm a session write before it is acknowledged (<c>Storage:MinReplicaAcks</c>), and
/// how long the write waits for them (<c>Storage:ReplicaAckTimeout</c>, default 1 s). Unset, it follows the topology: 1
/// with Sentinel (<c>serviceName=</c> in <c>Cluster:Redis</c>), whose primary has replicas; with any other configuration,
/// 1 once the connection finds a Redis Cluster with replicas (<see cref="Min"/> is then null until connected), else 0.
/// </summary>
public sealed record ReplicaAcks(int? Min, TimeSpan Timeout)
{
    public const string MinKey = "Storage:MinReplicaAcks";
    public const string TimeoutKey = "Storage:ReplicaAckTimeout";

    public static ReplicaAcks Read(IConfiguration configuration, ConfigurationOptions redis)
    {
        var min = configuration.GetValue<int?>(MinKey) ?? (string.IsNullOrEmpty(redis.ServiceName) ? null : 1);
        var timeout = configuration.GetValue(TimeoutKey, TimeSpan.FromSeconds(1));
        if (min < 0) throw new OptionsValidationException(MinKey, typeof(ReplicaAcks), [$"{MinKey} must be 0 or more."]);
        // The wait must end before the command timeout does, or a slow replica would look like a lost connection.
        if (timeout <= TimeSpan.Zero || timeout.TotalMilliseconds >= redis.AsyncTimeout)
            throw new OptionsValidationException(TimeoutKey, typeof(ReplicaAcks), [$"{TimeoutKey} must be positive and below the Redis command timeout ({redis.AsyncTimeout} ms)."]);
        return new ReplicaAcks(min, timeout);
    }

    /// <summary>Whether writes may wait for replicas at all (set above 0, or left to the topology).</summary>
    public bool MayWait => Min != 0;

    /// <summary>The replicas a write waits for on this connection: the setting, or 1 when it is a Redis Cluster whose primaries have replicas.</summary>
    public int For(IConnectionMultiplexer redis) =>
        Min ?? (redis.GetServers().Any(s => s.IsReplica && s.ServerType == ServerType.Cluster) ? 1 : 0);
}
