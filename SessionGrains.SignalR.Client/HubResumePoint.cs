using System.Globalization;
using Microsoft.AspNetCore.Http.Connections.Client;
using Microsoft.AspNetCore.SignalR.Client;

namespace SessionGrains.SignalR.Client;

/// <summary>
/// Carries a connection's resume point. The server follows every message with the invocation <c>sg.seq(n)</c> in the
/// same frame; this remembers n and sends it as header <c>SessionGrains-Resume-After</c> on every (re)connect, so the
/// server replays exactly what came after. Use one per connection:
/// <code>
/// var resume = new HubResumePoint();
/// var connection = new HubConnectionBuilder().WithUrl(url, resume.Apply).WithAutomaticReconnect().Build();
/// resume.Track(connection);
/// </code>
/// Handlers registered with <c>On</c> see each message once, in order, across reconnects to any server.
/// </summary>
public sealed class HubResumePoint
{
    public const string SequenceMethod = "sg.seq";

    public const string ResumeHeader = "SessionGrains-Resume-After";

    private readonly Lock _lock = new();
    private IDictionary<string, string>? _headers;
    private long? _last;

    /// <summary>The number of the last message received (the server's count for this recipient); null before the first connect.</summary>
    public long? Last
    {
        get
        {
            lock (_lock) return _last;
        }
    }

    /// <summary>
    /// Raised when numbers jump (expected, received): the messages between passed the server's retention while this
    /// client was away, and are gone.
    /// </summary>
    public event Action<long, long>? Gap;

    /// <summary>Configures the connection to present the resume point; pass as <c>WithUrl</c>'s configure delegate, or call from it.</summary>
    public void Apply(HttpConnectionOptions options)
    {
        lock (_lock)
        {
            // The options' header dictionary is read again on every connect, reconnects included.
            _headers = options.Headers;
            if (_last is { } last) _headers[ResumeHeader] = last.ToString(CultureInfo.InvariantCulture);
        }
    }

    /// <summary>Starts following the connection's message numbers.</summary>
    public void Track(HubConnection connection) => connection.On<long>(SequenceMethod, Received);

    private void Received(long sequence)
    {
        long? expected;
        lock (_lock)
        {
            expected = _last + 1;
            _last = sequence;
            if (_headers is not null) _headers[ResumeHeader] = sequence.ToString(CultureInfo.InvariantCulture);
        }
        if (expected is { } next && sequence > next) Gap?.Invoke(next, sequence);
    }
}
