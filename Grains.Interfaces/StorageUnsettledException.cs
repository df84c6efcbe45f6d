namespace SessionGrains.Interfaces;

/// <summary>
/// Storage refused a session write for its revision, yet holds no revision newer than the one the activation stored
/// last: its nodes disagree for now (during a Redis failover a read and a write can reach two nodes that both act as
/// primary). Nothing was changed, and the activation keeps every change it acknowledged, so the call may be retried.
/// (Not Orleans' <c>InconsistentStateException</c>, which makes Orleans deactivate the activation and drop what it holds.)
/// </summary>
[GenerateSerializer, Alias("SessionGrains.StorageUnsettled")]
public sealed class StorageUnsettledException : Exception
{
    public StorageUnsettledException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
