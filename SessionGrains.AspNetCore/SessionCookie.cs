using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using SessionGrains.Interfaces;

namespace SessionGrains.AspNetCore;

/// <summary>
/// The app's own session cookie (name and attributes from <c>SessionOptions.Cookie</c>), holding the SessionGrains token
/// encrypted with the app's data-protection keys, so a browser never sees a token it could use on the SessionGrains API.
/// It is protected exactly as the session middleware protects its own cookie (same purpose, same format): the
/// middleware reads it without complaint, finds no session key of its own in it and leaves it alone.
/// </summary>
public sealed class SessionCookie
{
    /// <summary>The data-protection purpose of the session middleware's cookie.</summary>
    public const string Purpose = "SessionMiddleware";

    private readonly IDataProtector _protector;
    private readonly SessionOptions _options;

    /// <summary>A cookie codec for the app's session options and data-protection keys.</summary>
    public SessionCookie(IDataProtectionProvider dataProtection, IOptions<SessionOptions> options)
    {
        _protector = dataProtection.CreateProtector(Purpose);
        _options = options.Value;
    }

    /// <summary>
    /// The content of the session cookie (a SessionGrains token, or an old provider's session key), or null when absent or
    /// not genuine. The cookie is looked for under <c>SessionOptions.Cookie.Name</c> first; an app that gave its options
    /// to <c>UseSession(options)</c> instead may name it otherwise, so any other cookie holding a token or a reference also counts.
    /// </summary>
    public string? Read(HttpContext http)
    {
        var cookies = http.Request.Cookies;
        if (FromCookie(cookies[_options.Cookie.Name!]) is { } content) return content;
        foreach (var (name, value) in cookies)
        {
            if (name != _options.Cookie.Name && FromCookie(value) is { } other && IsSession(other)) return other;
        }
        return null;
    }

    /// <summary>Whether a cookie value (as the session middleware writes it) holds <paramref name="sessionKey"/>.</summary>
    public bool HoldsSessionKey(string cookieValue, string sessionKey) => FromCookie(cookieValue) == sessionKey;

    /// <summary>A cookie value holding <paramref name="content"/>, in the session middleware's format.</summary>
    public string ProtectForCookie(string content) => Convert.ToBase64String(_protector.Protect(Encoding.UTF8.GetBytes(content))).TrimEnd('=');

    private string? FromCookie(string? cookieValue)
    {
        if (string.IsNullOrEmpty(cookieValue)) return null;
        try
        {
            var padded = cookieValue.PadRight(cookieValue.Length + (4 - cookieValue.Length % 4) % 4, '=');
            return Encoding.UTF8.GetString(_protector.Unprotect(Convert.FromBase64String(padded)));
        }
        catch (Exception ex) when (ex is FormatException or System.Security.Cryptography.CryptographicException)
        {
            return null;
        }
    }

    /// <summary>Whether a cookie's content is a SessionGrains token (<c>id.signature</c>) rather than a 36-character session key.</summary>
    public static bool IsToken(string? content) => content is { Length: > 36 } && content.Contains('.', StringComparison.Ordinal);

    /// <summary>
    /// The start of a session reference: <c>SessionGrains:</c> and the 22-character session id, 36 characters, the length
    /// of the session middleware's own keys. A store that reaches the grains itself (it holds the signing key) puts a
    /// reference in the cookie instead of a token: the cookie's encryption already proves it genuine, and the middleware
    /// takes it as its session key, so a request costs one decryption of the cookie (as with the built-in provider) where a
    /// token costs the middleware a new key and its encryption, and the store a second decryption.
    /// </summary>
    public const string ReferencePrefix = "SessionGrains:";

    /// <summary>A session reference for session <paramref name="id"/>.</summary>
    public static string Reference(string id) => ReferencePrefix + id;

    /// <summary>Whether a cookie's content is a session reference (<see cref="ReferencePrefix"/>).</summary>
    public static bool IsReference(string? content) =>
        content is { Length: 36 } && content.StartsWith(ReferencePrefix, StringComparison.Ordinal) && SessionKeys.IsValidId(content.AsSpan(ReferencePrefix.Length));

    /// <summary>Whether a cookie's content names a SessionGrains session: a token or a reference.</summary>
    public static bool IsSession(string? content) => IsReference(content) || IsToken(content);

    /// <summary>The session id inside a token or a reference.</summary>
    public static string IdOf(string session) =>
        IsReference(session) ? session[ReferencePrefix.Length..] : session[..session.IndexOf('.', StringComparison.Ordinal)];

    /// <summary>Whether the app may set the cookie: it is essential, or the user consented to tracking.</summary>
    public bool MaySet(HttpContext http) =>
        _options.Cookie.IsEssential || http.Features.Get<ITrackingConsentFeature>()?.CanTrack != false;

    /// <summary>
    /// Sets the cookie (as named in <c>AddSession</c>'s options) to <paramref name="content"/>, with the cache headers the session middleware sends with its
    /// cookie. Only the migration writes the cookie itself; a new session's cookie is the middleware's own, rewritten.
    /// </summary>
    public void Write(HttpContext http, string content)
    {
        http.Response.Cookies.Append(_options.Cookie.Name!, ProtectForCookie(content), _options.Cookie.Build(http));
        http.Response.Headers.CacheControl = "no-cache,no-store";
        http.Response.Headers.Pragma = "no-cache";
        http.Response.Headers.Expires = "-1";
    }

    /// <summary>Protects a token for storage outside the cookie (the migration's forwarding entries).</summary>
    public string Protect(string content) => Convert.ToBase64String(_protector.Protect(Encoding.UTF8.GetBytes(content)));

    /// <summary>The content of <see cref="Protect"/>, or null when it is not genuine.</summary>
    public string? Unprotect(string protectedContent) => FromCookie(protectedContent);
}
