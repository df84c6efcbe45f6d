namespace SessionGrains.Client.Sessions;

/// <summary>Where a session grain lives now.</summary>
public sealed record PlacementResponse(string Silo, DateTimeOffset ActivatedAt);
