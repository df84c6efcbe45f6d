namespace SessionGrains.Client.Sessions;

/// <summary>A whole session as <c>GET /sessions/current</c> shows it.</summary>
public sealed record SessionResponse(string Id, long Version, DateTimeOffset CreatedAt, DateTimeOffset LastAccessAt, DateTimeOffset ExpiresAt, string? UserId, SessionData Data);
