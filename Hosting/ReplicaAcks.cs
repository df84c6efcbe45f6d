using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace SessionGrains.Hosting;

/// <summary>
/// How many Redis replicas must confirm a session write before it is acknowledged (<c>Storage:MinReplicaAcks</c>), and
/// how long the write waits for them (<c>Storage:ReplicaAckTimeout</c>, default 1 s). The default is 1 with a Sentinel
/// topology (<c>serviceName=</c> in <c>Cluster:Redis</c>), whose primary has replicas, and 0 otherwise.
/// </summary>
public sealed record ReplicaAcks(int Min, TimeSpan Timeout)
{
    public const string MinKey = "Storage:MinReplicaAcks";
    public const string TimeoutKey = "Storage:ReplicaAckTimeout";

    public static ReplicaAcks Read(IConfiguration configuration, ConfigurationOptions redis)
    {
        var min = configuration.GetValue(MinKey, string.IsNullOrEmpty(redis.ServiceName) ? 0 : 1);
        var timeout = configuration.GetValue(TimeoutKey, TimeSpan.FromSeconds(1));
        if (min < 0) throw new OptionsValidationException(MinKey, typeof(ReplicaAcks), [$"{MinKey} must be 0 or more."]);
        // The wait must end before the command timeout does, or a slow replica would look like a lost connection.
        if (timeout <= TimeSpan.Zero || timeout.TotalMilliseconds >= redis.AsyncTimeout)
            throw new OptionsValidationException(TimeoutKey, typeof(ReplicaAcks), [$"{TimeoutKey} must be positive and below the Redis command timeout ({redis.AsyncTimeout} ms)."]);
        return new ReplicaAcks(min, timeout);
    }
}
