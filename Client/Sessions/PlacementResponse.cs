using SessionGrains.Interfaces;

namespace SessionGrains.Client.Sessions;

/// <summary>Where a session grain lives now.</summary>
public sealed record PlacementResponse(string Silo, DateTimeOffset ActivatedAt)
{
    public static PlacementResponse From(SessionPlacement placement) => new(placement.Silo, placement.ActivatedAt);
}
