using SessionGrains.Client.Sessions;
using SessionGrains.Interfaces;

namespace SessionGrains.Client.Sockets;

/// <summary>
/// Client traffic on an event connection (a raw WebSocket's <c>ping</c>, the hub's <c>Ping</c>) is access: it keeps the
/// session alive, with at most one grain call per <see cref="SessionSocketOptions.TouchInterval"/> per connection
/// (sooner when the session would otherwise expire first). Calls come one at a time per connection.
/// </summary>
public sealed partial class ClientAccess
{
    private readonly string _sessionId;
    private readonly SessionGateway _gateway;
    private readonly SessionSocketOptions _options;
    private readonly ILogger _logger;
    private DateTimeOffset _touchDue;

    /// <param name="touched">The touch that admitted the connection.</param>
    public ClientAccess(string sessionId, SessionGateway gateway, SessionSocketOptions options, ILogger<ClientAccess> logger, Reply<SessionInfo> touched)
    {
        _sessionId = sessionId;
        _gateway = gateway;
        _options = options;
        _logger = logger;
        _touchDue = NextTouch(touched);
    }

    /// <summary>Counts one client message as access (a grain call only when one is due); a failed touch is logged, not thrown.</summary>
    public async Task Count(CancellationToken cancellationToken)
    {
        if (TimeProvider.System.GetUtcNow() < _touchDue) return;
        try
        {
            _touchDue = NextTouch(await _gateway.Call(_sessionId, SessionCalls.Touch.Instance, cancellationToken));
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogTouchFailed(ex, _sessionId);
        }
    }

    private DateTimeOffset NextTouch(Reply<SessionInfo> touched)
    {
        var now = TimeProvider.System.GetUtcNow();
        var halfLife = touched.Value is { } info ? (info.ExpiresAt - now) / 2 : _options.TouchInterval;
        return now + (halfLife < _options.TouchInterval ? halfLife : _options.TouchInterval);
    }

    [LoggerMessage(EventId = 4003, Level = LogLevel.Warning, Message = "Could not count WebSocket traffic of session {SessionId} as access")]
    private partial void LogTouchFailed(Exception ex, string sessionId);
}
