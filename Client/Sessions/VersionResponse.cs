namespace SessionGrains.Client.Sessions;

/// <summary>The session version after a write.</summary>
public sealed record VersionResponse(long Version);
