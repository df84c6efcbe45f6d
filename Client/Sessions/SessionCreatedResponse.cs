namespace SessionGrains.Client.Sessions;

/// <summary>Answer to creating or rotating a session.</summary>
public sealed record SessionCreatedResponse(string Id, string Token, long Version, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt);
