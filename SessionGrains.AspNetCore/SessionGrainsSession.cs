using System.Diagnostics.CodeAnalysis;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace SessionGrains.AspNetCore;

/// <summary>
/// <c>HttpContext.Session</c> kept in SessionGrains. The first access loads the session and takes its request lease
/// in one round trip (waiting while another request of the same session holds it); changes stay in memory; the commit
/// at the end of the request sends only the changed keys, as one merge patch under the lease, and releases the lease in
/// the same round trip. A request that never touches the session costs no lease. A new session is created at its
/// first write, and its token goes to the browser in the app's session cookie.
/// A request that changed its session stores the changes before its response starts (at the response's first write, or
/// at the commit when it wrote none): when that fails, the app gets a <see cref="SessionStoreException"/> instead of
/// sending a page whose session changes were lost. Changes made after the response started are stored by the commit,
/// whose failure is logged, as with the built-in provider.
/// </summary>
public sealed partial class SessionGrainsSession : ISession, IAsyncDisposable
{
    private readonly ISessionConnection _connection;
    private readonly LeaseKeeper _keeper;
    private readonly bool _readOnly;
    private readonly SessionCookie _cookie;
    private readonly SessionGrainsOptions _options;
    private readonly ILogger _logger;
    private readonly HttpContext _http;
    private readonly string _sessionKey;
    private readonly TimeSpan _idleTimeout;
    private readonly TimeSpan _ioTimeout;
    private readonly LegacySessions? _legacy;
    private readonly Func<bool> _tryEstablishSession;
    private readonly bool _isNewSessionKey;
    // The loaded data (ordinal keys), made when first needed: null holds nothing (no session yet, or not loaded).
    private Dictionary<string, byte[]>? _data;
    private readonly Dictionary<string, byte[]?> _changes = new(StringComparer.Ordinal);
    private string? _token;
    private string? _leaseId;
    private bool _loaded;
    private bool _available;
    private bool _onStartingRegistered;
    private bool _disposeRegistered;
    private bool _cookiePending;
    private bool _guarded;
    private bool _failed;

    /// <summary>
    /// A session of one request. <paramref name="token"/> comes from the cookie; <paramref name="legacy"/> is the old store
    /// to import from; <paramref name="tryEstablishSession"/> and <paramref name="isNewSessionKey"/> are the session
    /// middleware's (it sets the cookie of a new session key itself, which this session fills with its token).
    /// <paramref name="readOnly"/>: the endpoint only reads (<see cref="ReadOnlySessionAttribute"/>).
    /// </summary>
    internal SessionGrainsSession(ISessionConnection connection, LeaseKeeper keeper, SessionCookie cookie, SessionGrainsOptions options, ILogger logger, HttpContext http,
        string sessionKey, TimeSpan idleTimeout, TimeSpan ioTimeout, string? token, LegacySessions? legacy, Func<bool> tryEstablishSession, bool isNewSessionKey,
        bool readOnly)
    {
        _readOnly = readOnly;
        _tryEstablishSession = tryEstablishSession;
        _isNewSessionKey = isNewSessionKey;
        _connection = connection;
        _keeper = keeper;
        _cookie = cookie;
        _options = options;
        _logger = logger;
        _http = http;
        _sessionKey = sessionKey;
        _idleTimeout = idleTimeout;
        _ioTimeout = ioTimeout;
        _token = token;
        _legacy = legacy;
    }

    /// <inheritdoc />
    public bool IsAvailable
    {
        get
        {
            Load();
            return _available;
        }
    }

    /// <summary>
    /// The SessionGrains session id once the session exists; before its first write the middleware's session key of this
    /// request (the built-in provider's id also changes from request to request until something is stored); empty when
    /// the session could not be loaded.
    /// </summary>
    public string Id
    {
        get
        {
            Load();
            return _available ? Name : string.Empty;
        }
    }

    /// <summary>The session's id, or the middleware's session key while it has none: what logs name it by.</summary>
    private string Name => _token is { } token ? SessionCookie.IdOf(token) : _sessionKey;

    /// <inheritdoc />
    public IEnumerable<string> Keys
    {
        get
        {
            Load();
            return [.. (_data?.Keys ?? Enumerable.Empty<string>()).Where(key => !_changes.ContainsKey(key)), .. _changes.Where(change => change.Value is not null).Select(change => change.Key)];
        }
    }

    /// <inheritdoc />
    public bool TryGetValue(string key, [NotNullWhen(true)] out byte[]? value)
    {
        Load();
        if (_changes.TryGetValue(key, out var changed))
        {
            value = changed;
            return changed is not null;
        }
        value = null;
        return _data?.TryGetValue(key, out value) == true;
    }

    /// <inheritdoc />
    public void Set(string key, byte[] value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (!IsAvailable) return;
        SessionKeyCodec.Encode(key); // refuses a key too long for SessionGrains now, not at the commit
        Changing();
        _changes[key] = value.ToArray();
    }

    /// <inheritdoc />
    public void Remove(string key)
    {
        if (!TryGetValue(key, out _)) return;
        Changing();
        _changes[key] = null;
    }

    /// <inheritdoc />
    public void Clear()
    {
        foreach (var key in Keys)
        {
            Changing();
            _changes[key] = null;
        }
    }

    /// <summary>
    /// Before a change: a new session must still be able to set its cookie (as the built-in provider requires), and the
    /// changes are stored before the response starts when it has not started yet.
    /// </summary>
    private void Changing()
    {
        if (_readOnly) throw new InvalidOperationException($"The session of this endpoint is read-only ({nameof(ReadOnlySessionAttribute)}): it was loaded without its lease and cannot be changed.");
        if (_token is null && (!_tryEstablishSession() || (!_isNewSessionKey && _http.Response.HasStarted))) throw new InvalidOperationException("The session cannot be established after the response has started.");
        if (_guarded || _http.Response.HasStarted) return;
        _guarded = true;
        var features = _http.Features;
        if (_token is null && _isNewSessionKey)
        {
            _ = _http.Response.Cookies; // makes sure the cookies feature exists before it is wrapped
            var cookies = features.Get<IResponseCookiesFeature>() ?? new ResponseCookiesFeature(features);
            features.Set<IResponseCookiesFeature>(new SessionCookieRewriter(cookies, _cookie, _sessionKey, () => _token));
        }
        features.Set<IHttpResponseBodyFeature>(new ResponseGate(features.Get<IHttpResponseBodyFeature>()!, StoreBeforeResponseAsync));
    }

    /// <summary>
    /// Loads synchronously on first access when the app did not call <see cref="LoadAsync"/>; a failure makes the session
    /// unavailable for the rest of the request (it is not tried again).
    /// </summary>
    private void Load()
    {
        if (_loaded) return;
        try
        {
            LoadAsync().GetAwaiter().GetResult();
        }
        catch (Exception ex)
        {
            LogLoadFailed(ex, Name);
        }
    }

    /// <summary>Registers, once, the callback that sets the cookie the store writes itself (the migration's) before the response starts.</summary>
    private void EstablishOnResponse()
    {
        if (_onStartingRegistered) return;
        if (_http.Response.HasStarted) throw new InvalidOperationException("The session cannot be established after the response has started.");
        _http.Response.OnStarting(static state => ((SessionGrainsSession)state).OnResponseStartingAsync(), this);
        _onStartingRegistered = true;
    }

    /// <summary>Makes sure the lease goes back even when the commit never ran.</summary>
    private void ReleaseAtRequestEnd()
    {
        if (_disposeRegistered) return;
        _http.Response.RegisterForDisposeAsync(this);
        _disposeRegistered = true;
    }

    [LoggerMessage(EventId = 5001, Level = LogLevel.Error, Message = "Could not load session {SessionKey}; it is unavailable for this request")]
    private partial void LogLoadFailed(Exception ex, string sessionKey);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Warning, Message = "Could not release the lease of a session; it lapses after its time to live")]
    private partial void LogReleaseFailed(Exception ex);

    [LoggerMessage(EventId = 5003, Level = LogLevel.Warning, Message = "Could not refresh the idle time of session {SessionKey}")]
    private partial void LogRefreshFailed(Exception ex, string sessionKey);

    [LoggerMessage(EventId = 5004, Level = LogLevel.Information, Message = "Session {SessionKey} of the old store copied into SessionGrains ({Keys} keys)")]
    private partial void LogImported(string sessionKey, int keys);

    [LoggerMessage(EventId = 5006, Level = LogLevel.Warning, Message = "Could not renew the lease of session {SessionKey} while its request runs")]
    private partial void LogRenewFailed(Exception ex, string sessionKey);

    [LoggerMessage(EventId = 5005, Level = LogLevel.Debug, Message = "Session not created: the user has not consented to non-essential cookies")]
    private partial void LogNoConsent();
}
