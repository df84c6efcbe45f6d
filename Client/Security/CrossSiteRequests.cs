using SessionGrains.Client.Dashboard;
using SessionGrains.Client.Sessions;

namespace SessionGrains.Client.Security;

/// <summary>
/// CSRF defence for cookie-authenticated writes. A POST, PUT, PATCH or DELETE that carries the session cookie (or the
/// dashboard login cookie) and no <c>Authorization</c> header must come from this site's own pages: the browser's
/// <c>Sec-Fetch-Site</c> is <c>same-origin</c> or <c>none</c>, or, without it, <c>Origin</c> is this origin. Anything
/// else (another site, a sibling subdomain, no such header) is 403 <c>cross-site-request</c> before the route runs.
/// SameSite=Lax already keeps cookies off most cross-site writes; this covers same-site attackers and older browsers.
/// </summary>
public sealed class CrossSiteRequests(RequestDelegate next)
{
    public Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        if (!IsUnsafe(request.Method) || request.Headers.Authorization.Count > 0 || !CarriesCookie(request) || IsSameOrigin(request)) return next(context);
        return SessionProblems.Problem(StatusCodes.Status403Forbidden, "cross-site-request", "Cross-site request refused",
            "A write authenticated by cookie must come from this site's own pages (Origin or Sec-Fetch-Site); other clients send Authorization: Bearer.")
            .ExecuteAsync(context);
    }

    /// <summary>Whether the browser says the request comes from this origin.</summary>
    public static bool IsSameOrigin(HttpRequest request)
    {
        var fetchSite = request.Headers["Sec-Fetch-Site"];
        if (fetchSite.Count > 0) return fetchSite.Count == 1 && fetchSite[0] is "same-origin" or "none";
        var origin = request.Headers.Origin;
        return origin.Count == 1 && SameOrigin.Matches(origin[0], request);
    }

    private static bool IsUnsafe(string method) =>
        HttpMethods.IsPost(method) || HttpMethods.IsPut(method) || HttpMethods.IsPatch(method) || HttpMethods.IsDelete(method);

    private static bool CarriesCookie(HttpRequest request) =>
        request.Cookies.ContainsKey(SessionIdentity.CookieName) || request.Cookies.ContainsKey(DashboardCookie.Name);
}
