using System.Reflection;

namespace SessionGrains.Client.Sessions;

/// <summary>
/// The session a request acts on, from cookie <c>sid</c> or <c>Authorization: Bearer</c>. Bound per request
/// after the token's signature is checked; <see cref="SessionTokenFilter"/> refuses unauthenticated requests.
/// </summary>
public sealed record SessionIdentity(string? Id)
{
    public const string CookieName = "sid";

    public bool IsAuthenticated => Id is not null;

    public static ValueTask<SessionIdentity?> BindAsync(HttpContext context, ParameterInfo parameter)
    {
        var tokens = context.RequestServices.GetRequiredService<SessionTokens>();
        var identity = tokens.TryVerify(TokenOf(context.Request), out var id) ? new SessionIdentity(id) : new SessionIdentity((string?)null);
        return ValueTask.FromResult<SessionIdentity?>(identity);
    }

    private static string? TokenOf(HttpRequest request)
    {
        // An Authorization header, when present, must carry the token: a bad one never falls back to the cookie.
        if (request.Headers.Authorization.Count > 0)
        {
            var authorization = request.Headers.Authorization.ToString();
            return authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? authorization["Bearer ".Length..].Trim() : null;
        }
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
