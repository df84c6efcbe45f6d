namespace SessionGrains.Client.Sockets;

/// <summary>WebSocket settings of the front end, bound from the <c>WebSockets</c> section.</summary>
public sealed class SessionSocketOptions
{
    public const string Section = "WebSockets";

    /// <summary>Close code sent to a socket whose queue overflowed: it should reconnect with <c>afterSeq</c>.</summary>
    public const int SlowConsumerCloseCode = 1013;

    /// <summary>
    /// Outgoing messages queued per socket; past this the socket is closed with <see cref="SlowConsumerCloseCode"/>.
    /// Keep it above Sessions:EventLogLength so that a full replay fits.
    /// </summary>
    public int QueueLength { get; set; } = 512;

    /// <summary>Largest message a client may send, in bytes; larger ones close the socket with 1009.</summary>
    public int MaxReceiveBytes { get; set; } = 4096;

    /// <summary>How often the front end renews its subscription to each session it holds sockets of.</summary>
    public TimeSpan ResubscribeInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Interval of WebSocket protocol pings from the server.</summary>
    public TimeSpan KeepAliveInterval { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>Client pings count as session access at most this often per socket.</summary>
    public TimeSpan TouchInterval { get; set; } = TimeSpan.FromSeconds(5);
}

/// <summary>Every bad <c>WebSockets</c> setting, by name.</summary>
public sealed class SessionSocketOptionsValidator : Microsoft.Extensions.Options.IValidateOptions<SessionSocketOptions>
{
    public Microsoft.Extensions.Options.ValidateOptionsResult Validate(string? name, SessionSocketOptions o)
    {
        var failures = new List<string>();
        if (o.QueueLength <= 0 || o.MaxReceiveBytes <= 0) failures.Add("WebSockets:QueueLength and MaxReceiveBytes must be positive.");
        if (o.ResubscribeInterval <= TimeSpan.Zero || o.KeepAliveInterval < TimeSpan.Zero || o.TouchInterval <= TimeSpan.Zero)
            failures.Add("WebSockets:ResubscribeInterval and TouchInterval must be positive, KeepAliveInterval not negative.");
        return failures.Count == 0 ? Microsoft.Extensions.Options.ValidateOptionsResult.Success : Microsoft.Extensions.Options.ValidateOptionsResult.Fail(failures);
    }
}
