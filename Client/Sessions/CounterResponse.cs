namespace SessionGrains.Client.Sessions;

/// <summary>A counter after an increment.</summary>
public sealed record CounterResponse(long Value, long Version);
