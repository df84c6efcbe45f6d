using Orleans.Runtime;

namespace SessionGrains.Grains.Storage;

/// <summary>
/// A session write that storage's primary applied but that fewer replicas than <c>Storage:MinReplicaAcks</c> confirmed in
/// time. The write is not acknowledged (callers get 503): a failover could still lose it. Its outcome is unknown to the
/// caller, so it is never retried by the front end; the activation reloads from storage on its next call.
/// </summary>
[GenerateSerializer]
public sealed class WriteNotReplicatedException : OrleansException
{
    public WriteNotReplicatedException(string message) : base(message)
    {
    }
}
