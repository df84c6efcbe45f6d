namespace SessionGrains.Client.Admin;

/// <summary>One live session of a user.</summary>
public sealed record UserSessionResponse(string Id, DateTimeOffset CreatedAt, DateTimeOffset LastAccessAt, DateTimeOffset ExpiresAt);
