using System.Security.Claims;
using SessionGrains.Client.Sessions;
using SessionGrains.Interfaces;
using SessionGrains.SignalR;

namespace SessionGrains.Client.Chat;

/// <summary>
/// Admits a chat connection only for a live session, and makes the session's user (set by a trusted caller when the
/// session was created) the connection's SignalR user, so <c>Clients.User(id)</c> reaches every session of that user.
/// Runs on negotiate and connect requests of the hub path only.
/// </summary>
public static class ChatSessionUser
{
    public const string SessionItem = "chat.session";

    public static async Task Admit(HttpContext context, RequestDelegate next)
    {
        var tokens = context.RequestServices.GetRequiredService<SessionTokens>();
        if (!tokens.TryVerify(HubRecipients.TokenOf(context.Request), out var sessionId))
        {
            await SessionProblems.Unauthorized("A valid session token is required (cookie 'sid' or access_token).").ExecuteAsync(context);
            return;
        }
        var gateway = context.RequestServices.GetRequiredService<SessionGateway>();
        var reply = await gateway.Call(sessionId, SessionCalls.Get.Instance, context.RequestAborted);
        if (!reply.Succeeded)
        {
            await SessionProblems.Unauthorized("The session has ended.").ExecuteAsync(context);
            return;
        }
        if (reply.Value.Info.UserId is { } userId)
        {
            context.User = new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, userId)], "session"));
        }
        context.Items[SessionItem] = sessionId;
        await next(context);
    }
}
