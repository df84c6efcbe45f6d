namespace SessionGrains.Interfaces;

/// <summary>Names of the service's own telemetry, shared by grains (silos) and front ends.</summary>
public static class TelemetryNames
{
    /// <summary>The meter and activity source <c>SessionGrains</c>.</summary>
    public const string Meter = "SessionGrains";

    /// <summary>Spans of the session grain's storage calls (read, write, clear), recorded only when tracing is on.</summary>
    public const string StorageSource = "SessionGrains.Storage";

    /// <summary>
    /// The session grain's class as Orleans names it in grain statistics (the dashboard and the admin cluster view
    /// count sessions by it); a test checks it against the class.
    /// </summary>
    public const string SessionGrainClass = "SessionGrains.Grains.SessionGrain";
}
