using SessionGrains.Client.Admin;
using SessionGrains.Client.Security;
using SessionGrains.Client.Sessions;
using Microsoft.Extensions.Options;
using SessionGrains.Hosting;

namespace SessionGrains.Client.Dashboard;

/// <summary>
/// Guards every <c>/dashboard</c> endpoint. Anonymous in standalone mode, and only from this machine (loopback); otherwise the API key in
/// <c>X-Api-Key</c>, or the login cookie. A browser cannot send headers, so <c>/dashboard/?key=API_KEY</c> logs in
/// once: the key is compared in constant time, the cookie is set and the browser is sent to the same page without the key.
/// </summary>
public sealed class DashboardAccessFilter(ApiKeyCheck apiKey, DashboardCookie cookie, IOptions<SessionClusterOptions> cluster) : IEndpointFilter
{
    public const string LoginQuery = "key";

    private readonly bool _anonymous = cluster.Value.IsStandalone;

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        if (http.Request.Query.ContainsKey(LoginQuery)) return LogIn(http);
        if (IsAnonymousAllowed(http) || apiKey.IsTrusted(http) || cookie.IsValid(http.Request.Cookies[DashboardCookie.Name])) return await next(context);
        return Refuse();
    }

    private IResult LogIn(HttpContext http)
    {
        var presented = http.Request.Query[LoginQuery];
        var trusted = presented.Count == 1 && apiKey.Matches(presented[0]);
        if (!trusted && !IsAnonymousAllowed(http)) return Refuse();
        if (trusted) http.Response.Cookies.Append(DashboardCookie.Name, cookie.Issue(), cookie.CookieOptions(http.Request));
        http.Response.Headers.CacheControl = "no-store";
        http.Response.Headers["Referrer-Policy"] = "no-referrer";
        // The same page without the query: the key leaves the address bar and the history.
        return TypedResults.Redirect(http.Request.PathBase.Add(http.Request.Path).ToUriComponent());
    }

    /// <summary>Standalone mode opens the dashboard without a key to this machine only, never to the network.</summary>
    private bool IsAnonymousAllowed(HttpContext http) => _anonymous && ClientAddress.IsLoopback(http);

    private static IResult Refuse() =>
        SessionProblems.Unauthorized($"The dashboard needs the API key: send it in {ApiKeyCheck.Header}, or open {DashboardEndpoints.Path}/?{LoginQuery}=<API key> once in a browser to get a login cookie.");
}
