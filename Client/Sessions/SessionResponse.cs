using SessionGrains.Interfaces;

namespace SessionGrains.Client.Sessions;

/// <summary>A whole session as <c>GET /sessions/current</c> shows it.</summary>
public sealed record SessionResponse(string Id, long Version, DateTimeOffset CreatedAt, DateTimeOffset LastAccessAt, DateTimeOffset ExpiresAt, string? UserId, SessionData Data)
{
    /// <summary>The view of a reply that carries the session and its data (get, inspect).</summary>
    public static SessionResponse From(SessionReply reply)
    {
        var info = reply.Session!;
        return new(info.Id, info.Version, info.CreatedAt, info.LastAccessAt, info.ExpiresAt, info.UserId, new SessionData(reply.Data!));
    }
}
