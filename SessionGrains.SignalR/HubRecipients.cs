using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.SignalR;
using SessionGrains.Interfaces.SignalR;

namespace SessionGrains.SignalR;

/// <summary>
/// Who a connection is for, and where it resumes. The recipient is the session of the token the client presents
/// (query <c>access_token</c>, <c>Authorization: Bearer</c> or cookie <c>sid</c>, checked like the front end checks
/// them), so its mailbox and groups outlive the transport connection. A connection without a genuine token is its
/// own recipient: it gets messages while connected but can't resume.
/// </summary>
public sealed class HubRecipients(SessionTokens tokens)
{
    public const string CookieName = "sid";

    public string RecipientOf(HubConnectionContext connection)
    {
        var request = connection.GetHttpContext()?.Request;
        return request is not null && tokens.TryVerify(TokenOf(request), out var sessionId)
            ? HubKeys.SessionRecipient(sessionId)
            : HubKeys.ConnectionRecipient(connection.ConnectionId);
    }

    /// <summary>The last sequence number the client has, or null for a client that has none (it starts from now).</summary>
    public static long? ResumePointOf(HubConnectionContext connection)
    {
        var request = connection.GetHttpContext()?.Request;
        if (request is null) return null;
        string? value = request.Query[ResumeProtocol.ResumeQuery];
        if (string.IsNullOrEmpty(value)) value = request.Headers[ResumeProtocol.ResumeHeader];
        return long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var after) ? after : null;
    }

    /// <summary>The session token of a hub request: query <c>access_token</c>, else <c>Authorization: Bearer</c>, else cookie <c>sid</c>.</summary>
    public static string? TokenOf(HttpRequest request)
    {
        // Browsers can't set headers on a WebSocket, so SignalR clients send the token as access_token in the query.
        string? query = request.Query["access_token"];
        if (!string.IsNullOrEmpty(query)) return query;
        var authorization = request.Headers.Authorization.ToString();
        if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return authorization["Bearer ".Length..].Trim();
        return request.Cookies.TryGetValue(CookieName, out var cookie) ? cookie : null;
    }
}
