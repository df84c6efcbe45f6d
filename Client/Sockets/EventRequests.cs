using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using SessionGrains.Client.Sessions;

namespace SessionGrains.Client.Sockets;

/// <summary>
/// The checks a request for a session's live events passes before anything is admitted, the same for the raw
/// WebSocket (<c>/sessions/current/ws</c>) and the hub (<c>/hubs/session</c>): <c>afterSeq</c>, and the cross-site check.
/// </summary>
public static class EventRequests
{
    public const string AfterSeqName = "afterSeq";

    /// <summary>Reads <c>afterSeq</c> (absent: null), or answers 400; refuses a cross-site cookie-authenticated request with 403.</summary>
    /// <param name="acceptQueryToken">Whether the route takes the token from the query too (the hub), which is then not the cookie.</param>
    public static bool TryRead(HttpRequest request, bool acceptQueryToken, out long? afterSeq, out ProblemHttpResult? problem)
    {
        afterSeq = null;
        problem = null;
        if (request.Query.TryGetValue(AfterSeqName, out var text))
        {
            if (text.Count != 1 || !long.TryParse(text[0], NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
            {
                problem = SessionProblems.BadRequest("afterSeq must be a non-negative integer.");
                return false;
            }
            afterSeq = parsed;
        }
        if (SessionIdentity.IsCookieAuthenticated(request, acceptQueryToken) && IsCrossSite(request))
        {
            problem = SessionProblems.Problem(StatusCodes.Status403Forbidden, "forbidden", "Forbidden", "A WebSocket authenticated by cookie must come from this site's own pages.");
            return false;
        }
        return true;
    }

    /// <summary>An <c>Origin</c> other than the request's own host and port (cross-site WebSocket hijacking, when the cookie is the credential).</summary>
    private static bool IsCrossSite(HttpRequest request)
    {
        var origin = request.Headers.Origin;
        return origin.Count > 0 && (origin.Count > 1 || !Security.SameOrigin.Matches(origin[0], request));
    }
}
