namespace SessionGrains.Grains.Storage;

/// <summary>Names of the grain storage that holds sessions.</summary>
public static class SessionStorage
{
    /// <summary>The grain storage provider name used by <see cref="SessionGrain"/>.</summary>
    public const string Name = "sessions";
}
