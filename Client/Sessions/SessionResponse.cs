using SessionGrains.Interfaces;

namespace SessionGrains.Client.Sessions;

/// <summary>A whole session as <c>GET /sessions/current</c> shows it.</summary>
public sealed record SessionResponse(string Id, long Version, DateTimeOffset CreatedAt, DateTimeOffset LastAccessAt, DateTimeOffset ExpiresAt, string? UserId, SessionData Data)
{
    public static SessionResponse From(SessionView session)
    {
        var info = session.Info;
        return new(info.Id, info.Version, info.CreatedAt, info.LastAccessAt, info.ExpiresAt, info.UserId, new SessionData(session.Data));
    }
}
