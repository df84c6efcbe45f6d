using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Session;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace SessionGrains.AspNetCore;

/// <summary>
/// The <see cref="ISessionStore"/> that <c>UseSession()</c> asks for each request's session. A request whose session
/// cookie holds a SessionGrains token gets that session; any other request a new one (created at its first write). While
/// migrating, a request with the old provider's cookie gets the old session (<see cref="SessionMigrationPhase.Prepare"/>)
/// or its copy in SessionGrains (<see cref="SessionMigrationPhase.Import"/>). An endpoint marked
/// <see cref="ReadOnlySessionAttribute"/> gets its session without the lease.
/// </summary>
public sealed class SessionGrainsStore(
    IServiceProvider services,
    SessionCookie cookie,
    IHttpContextAccessor accessor,
    IOptionsMonitor<SessionGrainsOptions> options,
    ILoggerFactory loggers) : ISessionStore
{
    private readonly ILogger _logger = loggers.CreateLogger<SessionGrainsSession>();
    private readonly ISessionConnection _connection = services.GetRequiredService<ISessionConnection>();
    private readonly LeaseKeeper _keeper = services.GetRequiredService<LeaseKeeper>();

    /// <inheritdoc />
    public ISession Create(string sessionKey, TimeSpan idleTimeout, TimeSpan ioTimeout, Func<bool> tryEstablishSession, bool isNewSessionKey)
    {
        var http = accessor.HttpContext ?? throw new InvalidOperationException("SessionGrains sessions are made for HTTP requests (IHttpContextAccessor has none).");
        var settings = options.CurrentValue;
        // A reference in the cookie is the middleware's session key already; anything else is looked for in the cookie.
        var token = !isNewSessionKey && SessionCookie.IsReference(sessionKey) ? sessionKey
            : cookie.Read(http) is { } content && SessionCookie.IsSession(content) ? content : null;
        // The middleware found a session key of its own in the cookie: a session of the old provider.
        var legacy = settings.Migration is not null && token is null && !isNewSessionKey ? services.GetRequiredService<LegacySessions>() : null;
        if (settings.Migration == SessionMigrationPhase.Prepare && token is null)
            return services.GetRequiredService<LegacySessions>().Create(sessionKey, idleTimeout, ioTimeout, tryEstablishSession, isNewSessionKey);
        var readOnly = http.GetEndpoint()?.Metadata.GetMetadata<ReadOnlySessionAttribute>() is not null;
        return new SessionGrainsSession(_connection, _keeper, cookie, settings, _logger, http, sessionKey, idleTimeout, ioTimeout, token, legacy, tryEstablishSession, isNewSessionKey, readOnly);
    }
}
