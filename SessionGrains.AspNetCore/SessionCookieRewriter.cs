using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace SessionGrains.AspNetCore;

/// <summary>
/// The response cookies of a request that creates a session. The session middleware sets its cookie for a new session
/// itself, with the options it was given (<c>AddSession(o => ...)</c> or <c>UseSession(new SessionOptions { ... })</c>:
/// name, path, domain, <c>Secure</c> policy, <c>SameSite</c>, consent) and its own session key as the value; this swaps
/// that value for the SessionGrains token, protected the same way, or drops the cookie when no session was created.
/// Every other cookie passes through unchanged.
/// </summary>
internal sealed class SessionCookieRewriter(IResponseCookiesFeature inner, SessionCookie cookie, string sessionKey, Func<string?> token)
    : IResponseCookiesFeature, IResponseCookies
{
    public IResponseCookies Cookies => this;

    public void Append(string key, string value) => Append(key, value, new CookieOptions());

    public void Append(string key, string value, CookieOptions options)
    {
        if (!cookie.HoldsSessionKey(value, sessionKey))
        {
            inner.Cookies.Append(key, value, options);
            return;
        }
        if (token() is { } created) inner.Cookies.Append(key, cookie.ProtectForCookie(created), options);
    }

    public void Append(ReadOnlySpan<KeyValuePair<string, string>> keyValuePairs, CookieOptions options)
    {
        foreach (var (key, value) in keyValuePairs) Append(key, value, options);
    }

    public void Delete(string key) => inner.Cookies.Delete(key);

    public void Delete(string key, CookieOptions options) => inner.Cookies.Delete(key, options);
}
