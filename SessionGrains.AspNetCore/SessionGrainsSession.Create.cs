using System.Security.Cryptography;
using SessionGrains.Http;

namespace SessionGrains.AspNetCore;

// A session that is new to the store: imported from the earlier distributed cache, or created.
public sealed partial class SessionGrainsSession
{
    private async Task ImportAsync(CancellationToken cancellationToken)
    {
        if (await _legacy!.FindForwardAsync(_sessionKey, cancellationToken).ConfigureAwait(false) is { } forwarded)
        {
            _token = forwarded;
            _cookiePending = true;
            EstablishOnResponse();
            return;
        }
        var old = await _legacy.ReadAsync(_sessionKey, _idleTimeout, _ioTimeout, cancellationToken).ConfigureAwait(false);
        if (old.Count == 0 || _http.Response.HasStarted || !_cookie.MaySet(_http)) return;
        _token = await _connection.CreateAsync(old, _idleTimeout, cancellationToken).ConfigureAwait(false);
        await _legacy.SetForwardAsync(_sessionKey, _token, _idleTimeout, cancellationToken).ConfigureAwait(false);
        LogImported(_sessionKey, old.Count);
        _cookiePending = true;
        EstablishOnResponse();
    }

    /// <summary>Creates the session with this request's changes as its data; its cookie follows before the response starts.</summary>
    private async Task CreateAsync(CancellationToken cancellationToken)
    {
        if (!_cookie.MaySet(_http))
        {
            LogNoConsent();
            _changes.Clear();
            return;
        }
        var data = _changes.Where(change => change.Value is not null).ToDictionary(change => change.Key, change => change.Value!, StringComparer.Ordinal);
        _token = await _connection.CreateAsync(data, _idleTimeout, cancellationToken).ConfigureAwait(false);
        // A new session key: the middleware sets its cookie, filled with the token (SessionCookieRewriter). Otherwise
        // (the cookie held an old provider's key) the store sets the cookie itself.
        if (!_isNewSessionKey)
        {
            _cookiePending = true;
            EstablishOnResponse();
        }
    }
}
