using Orleans.Runtime;
using Orleans.Storage;

namespace SessionGrains.Direct;

/// <summary>The one classification of failures of a grain call: which may be retried, and which mean "unavailable" (503).</summary>
public static class GrainFailures
{
    /// <summary>
    /// Failures after which the same call may succeed on another silo or a fresh activation. A timeout is one: a call
    /// sent to a silo that then died is never answered (Orleans' response timeout ends it). The request's own deadline
    /// is never retried, because the retry loop checks it first.
    /// </summary>
    public static bool IsTransient(Exception ex) => ex is SiloUnavailableException
        or TimeoutException
        or OrleansMessageRejectionException
        or Orleans.Runtime.Messaging.ConnectionFailedException
        or GatewayTooBusyException
        or InconsistentStateException
        or SessionGrains.Interfaces.StorageUnsettledException
        or ClientNotAvailableException;

    /// <summary>The cluster or its storage could not do the work in time: every transient failure, and storage errors.</summary>
    public static bool IsUnavailable(Exception exception) => exception switch
    {
        _ when IsTransient(exception) => true,
        OperationCanceledException or OrleansException => true,
        AggregateException aggregate => aggregate.InnerExceptions.Any(IsUnavailable),
        _ when exception.GetType().Namespace is { } ns && (ns.StartsWith("StackExchange.Redis", StringComparison.Ordinal) || ns.StartsWith("Microsoft.Data.Sqlite", StringComparison.Ordinal) || ns.StartsWith("Orleans", StringComparison.Ordinal)) => true,
        _ => exception.InnerException is { } inner && IsUnavailable(inner),
    };
}
