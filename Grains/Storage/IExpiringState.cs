namespace SessionGrains.Grains.Storage;

/// <summary>State that storage may purge on its own once <see cref="PurgeAfter"/> has passed.</summary>
public interface IExpiringState
{
    DateTimeOffset? PurgeAfter { get; }
}
