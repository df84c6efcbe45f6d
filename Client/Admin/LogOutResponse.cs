namespace SessionGrains.Client.Admin;

/// <summary>How many sessions a log-out-everywhere deleted.</summary>
public sealed record LogOutResponse(int Deleted);
