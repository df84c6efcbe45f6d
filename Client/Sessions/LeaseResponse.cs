using SessionGrains.Interfaces;

namespace SessionGrains.Client.Sessions;

/// <summary>A granted request lease and the session as it stood when it was granted.</summary>
public sealed record LeaseResponse(string LeaseId, DateTimeOffset ExpiresAt, SessionResponse Session)
{
    public static LeaseResponse From(LeaseGranted granted) => new(granted.LeaseId, granted.ExpiresAt, SessionResponse.From(granted.Session));
}
