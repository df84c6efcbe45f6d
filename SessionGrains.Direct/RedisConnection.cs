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
        return options;
    }
}
