using System.Diagnostics.Metrics;
using SessionGrains.Interfaces;

namespace SessionGrains.Grains;

/// <summary>The grains' instruments of the service's meter (<c>SessionGrains</c>); the front end adds its own to the same meter.</summary>
public sealed class SessionMetrics
{
    private readonly Counter<long> _created;
    private readonly Counter<long> _expired;
    private readonly Counter<long> _deleted;
    private readonly UpDownCounter<long> _active;
    private readonly Counter<long> _stateReads;
    private readonly Counter<long> _moves;
    private readonly Histogram<int> _commitChanges;
    private readonly Counter<long> _writeFailures;

    public SessionMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(TelemetryNames.Meter);
        _created = meter.CreateCounter<long>("sessiongrains.sessions.created", "{session}", "Sessions created");
        _expired = meter.CreateCounter<long>("sessiongrains.sessions.expired", "{session}", "Sessions that expired");
        _deleted = meter.CreateCounter<long>("sessiongrains.sessions.deleted", "{session}", "Sessions deleted or rotated away");
        _active = meter.CreateUpDownCounter<long>("sessiongrains.sessions.active", "{session}", "Live sessions active in memory on this silo");
        _stateReads = meter.CreateCounter<long>("sessiongrains.sessions.state_reads", "{read}", "Session activations that read their state from storage");
        _moves = meter.CreateCounter<long>("sessiongrains.sessions.moves", "{session}",
            "Live moves of sessions between silos: direction=requested (asked here), out (left this silo), in (arrived with its state)");
        // Writes are the histogram's count; changes per write show how much group commit saves on a busy session.
        _commitChanges = meter.CreateHistogram<int>("sessiongrains.sessions.commit_changes", "{change}",
            "Changes of one session stored by one storage write (group commit)", advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 2, 4, 8, 16, 32, 64] });
        _writeFailures = meter.CreateCounter<long>("sessiongrains.sessions.write_refusals", "{write}",
            "Storage writes refused for the session's stored revision or its replicas: reason=stale (storage holds a newer revision than the activation: another activation wrote; it reloads), restored (storage went back, e.g. a failover lost writes: the activation wrote its acknowledged state again, nothing failed) or not_replicated (no replica confirmed the write in time; the activation reloads)");
    }

    public void Created() => _created.Add(1);

    public void Expired() => _expired.Add(1);

    public void Deleted() => _deleted.Add(1);

    public void Activated() => _active.Add(1);

    public void Deactivated() => _active.Add(-1);

    public void StateRead() => _stateReads.Add(1);

    public void Committed(int changes) => _commitChanges.Record(changes);

    /// <summary>Storage holds another revision than this activation: it reloads from storage on the next call.</summary>
    public void StaleRevision() => _writeFailures.Add(1, new KeyValuePair<string, object?>("reason", "stale"));

    /// <summary>A write reached the primary but too few replicas confirmed it: not acknowledged, the activation reloads.</summary>
    public void NotReplicated() => _writeFailures.Add(1, new KeyValuePair<string, object?>("reason", "not_replicated"));

    /// <summary>Storage had gone back (a Redis failover lost writes) and the activation wrote its acknowledged state again.</summary>
    public void Restored() => _writeFailures.Add(1, new KeyValuePair<string, object?>("reason", "restored"));

    public void MoveRequested() => _moves.Add(1, new KeyValuePair<string, object?>("direction", "requested"));

    public void MovedOut() => _moves.Add(1, new KeyValuePair<string, object?>("direction", "out"));

    public void MovedIn() => _moves.Add(1, new KeyValuePair<string, object?>("direction", "in"));
}
