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

    /// <summary>
    /// Outgoing bytes queued per socket; past this the socket is closed with <see cref="SlowConsumerCloseCode"/>. Keep it
    /// above Sessions:EventLogMessageBytes so that a full replay fits.
    /// </summary>
    public int QueueBytes { get; set; } = 512 * 1024;

    /// <summary>
    /// Longest one message may take to send. A client that stops reading stalls the send once the connection's
    /// buffers are full; after this long the connection is aborted (no close frame can pass a stalled connection).
    /// </summary>
    public TimeSpan SendTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Open sockets this front end holds at most, over all sessions; an upgrade past it answers 503 <c>server-busy</c>.</summary>
    public int MaxSockets { get; set; } = 10_000;

    /// <summary>Pushed event batches a session's feed holds while it is busy; past this it drops them and fills in from the log.</summary>
    public int FeedQueueLength { get; set; } = 1024;

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
        if (o.QueueBytes < 4096) failures.Add("WebSockets:QueueBytes must be at least 4096.");
        if (o.SendTimeout <= TimeSpan.Zero) failures.Add("WebSockets:SendTimeout must be positive.");
        if (o.MaxSockets <= 0 || o.FeedQueueLength <= 0) failures.Add("WebSockets:MaxSockets and FeedQueueLength must be positive.");
        if (o.ResubscribeInterval <= TimeSpan.Zero || o.KeepAliveInterval < TimeSpan.Zero || o.TouchInterval <= TimeSpan.Zero)
            failures.Add("WebSockets:ResubscribeInterval and TouchInterval must be positive, KeepAliveInterval not negative.");
        return failures.Count == 0 ? Microsoft.Extensions.Options.ValidateOptionsResult.Success : Microsoft.Extensions.Options.ValidateOptionsResult.Fail(failures);
    }
}
