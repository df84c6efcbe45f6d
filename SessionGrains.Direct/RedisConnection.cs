using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using StackExchange.Redis;

namespace SessionGrains.Direct;

/// <summary>How silos and front ends connect to Redis.</summary>
public static class RedisConnection
{
    /// <summary>How often a lost connection to Redis is tried again.</summary>
    public static readonly TimeSpan ReconnectEvery = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// Parses the connection string and sets what a session service needs: start and reconnect while Redis
    /// is down (a write then fails fast and answers 503), and a command timeout shorter than the front end's grain
    /// response timeout (3 s), so that a storage failure reaches the client as a failure, not as a call timeout.
    /// Settings given in the connection string win. A lost connection is retried every <see cref="ReconnectEvery"/>
    /// (the client's default backs off exponentially and looks only once a second), so writes succeed again within
    /// about a quarter of a second of Redis accepting connections.
    /// </summary>
    public static ConfigurationOptions Options(string connectionString)
    {
        var options = ConfigurationOptions.Parse(connectionString);
        options.AbortOnConnectFail = false;
        if (!connectionString.Contains("asyncTimeout", StringComparison.OrdinalIgnoreCase)) options.AsyncTimeout = 2000;
        if (!connectionString.Contains("syncTimeout", StringComparison.OrdinalIgnoreCase)) options.SyncTimeout = 2000;
        if (!connectionString.Contains("connectTimeout", StringComparison.OrdinalIgnoreCase)) options.ConnectTimeout = 3000;
        // Reconnects are tried on the heartbeat, when the policy allows: both at the same short period.
        options.HeartbeatInterval = ReconnectEvery;
        options.ReconnectRetryPolicy = new LinearRetry((int)ReconnectEvery.TotalMilliseconds);
        if (!string.IsNullOrEmpty(options.ServiceName)) EnsureThreadsForFailover();
        return options;
    }

    /// <summary>
    /// Lets Orleans carry StackExchange.Redis' exceptions from a silo to its caller (a front end, an app's session store)
    /// like its own: by default it serializes only exceptions of the Microsoft, System and Azure namespaces, so a session
    /// write failing on a lost Redis connection reached the caller as "Could not find a codec for type
    /// StackExchange.Redis.RedisConnectionException", with a warning on the silo for each response it could not send.
    /// Both sides need it (the caller reads the type by name).
    /// </summary>
    public static IServiceCollection AddRedisExceptionSerialization(this IServiceCollection services) =>
        services.Configure<ExceptionSerializationOptions>(options => options.SupportedNamespacePrefixes.Add("StackExchange.Redis"));

    /// <summary>Worker threads the pool starts at once, at least, in a process connected through Sentinel.</summary>
    public const int SentinelMinWorkerThreads = 32;

    /// <summary>
    /// With Sentinel, the client follows a failover by asking the sentinels for the new primary and reconnecting, and
    /// part of that work blocks a pool thread; every multiplexer of the process (membership, directory, storage, session
    /// writes) does it at the same moment. On two cores the pool starts with two threads and adds about two a second, so
    /// a silo stalled for 4.8 s after a primary's SIGKILL here. Enough threads up front keep the failover in seconds.
    /// </summary>
    private static void EnsureThreadsForFailover()
    {
        ThreadPool.GetMinThreads(out var workers, out var io);
        if (workers < SentinelMinWorkerThreads) ThreadPool.SetMinThreads(SentinelMinWorkerThreads, io);
    }
}
