namespace SessionGrains.Tests.Infrastructure;

/// <summary>Grain class names as Orleans' management grain filters statistics by them.</summary>
public static class GrainTypes
{
    /// <summary>"Namespace.Type,Assembly", the form <c>IManagementGrain.GetDetailedGrainStatistics</c> matches.</summary>
    public static string Of<T>() => $"{typeof(T).FullName},{typeof(T).Assembly.GetName().Name}";
}
