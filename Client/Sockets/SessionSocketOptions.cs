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
