using System.Reflection;

namespace SessionGrains.Client.Sessions;

/// <summary>
/// The session a request acts on, from cookie <c>sid</c> or <c>Authorization: Bearer</c>. Bound per request
/// after the token's signature is checked; <see cref="SessionTokenFilter"/> refuses unauthenticated requests.
/// </summary>
public sealed record SessionIdentity(string? Id)
{
    public const string CookieName = "sid";

    /// <summary>
    /// Query parameter with the token, read on <c>/hubs/session</c> only: SignalR clients put it there where they
    /// cannot set headers (a browser's WebSocket). Other routes never take a token from a URL, which logs keep.
    /// </summary>
    public const string QueryTokenName = "access_token";

    public bool IsAuthenticated => Id is not null;

    public static ValueTask<SessionIdentity?> BindAsync(HttpContext context, ParameterInfo parameter) =>
        ValueTask.FromResult<SessionIdentity?>(Of(context, acceptQueryToken: false));

    /// <summary>The verified identity of a request; <paramref name="acceptQueryToken"/> also reads <see cref="QueryTokenName"/>.</summary>
    public static SessionIdentity Of(HttpContext context, bool acceptQueryToken)
    {
        var tokens = context.RequestServices.GetRequiredService<SessionTokens>();
        return tokens.TryVerify(TokenOf(context.Request, acceptQueryToken), out var id) ? new SessionIdentity(id) : new SessionIdentity((string?)null);
    }

    /// <summary>Whether the request's token is its cookie (no header or query token), so cross-site checks apply.</summary>
    public static bool IsCookieAuthenticated(HttpRequest request, bool acceptQueryToken) =>
        request.Headers.Authorization.Count == 0 && !(acceptQueryToken && request.Query.ContainsKey(QueryTokenName));

    private static string? TokenOf(HttpRequest request, bool acceptQueryToken)
    {
        // A header or query token, when present, must be the token: a bad one never falls back to the cookie.
        if (request.Headers.Authorization.Count > 0)
        {
            var authorization = request.Headers.Authorization.ToString();
            return authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? authorization["Bearer ".Length..].Trim() : null;
        }
        if (acceptQueryToken && request.Query.TryGetValue(QueryTokenName, out var query)) return query.Count == 1 ? query[0] : null;
        return request.Cookies.TryGetValue(CookieName, out var cookie) ? cookie : null;
    }

    /// <summary>Sets the session cookie (HttpOnly, SameSite=Lax, Path=/, Secure on HTTPS).</summary>
    public static void SetCookie(HttpContext context, string token) =>
        context.Response.Cookies.Append(CookieName, token, CookieOptionsFor(context));

    public static void DeleteCookie(HttpContext context) =>
        context.Response.Cookies.Delete(CookieName, CookieOptionsFor(context));

    private static CookieOptions CookieOptionsFor(HttpContext context) => new()
    {
        HttpOnly = true,
        SameSite = SameSiteMode.Lax,
        Path = "/",
        Secure = context.Request.IsHttps,
    };
}
