namespace SessionGrains.Client.Operations;

/// <summary>Health answer; <c>silos</c> is the number of active silos seen, for readiness.</summary>
public sealed record HealthResponse(string Status, int? Silos);
