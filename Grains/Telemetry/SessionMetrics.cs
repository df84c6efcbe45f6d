using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace SessionGrains.Grains.Telemetry;

/// <summary>The service's own meter (<c>SessionGrains</c>) and activity source.</summary>
public sealed class SessionMetrics
{
    public const string Name = "SessionGrains";

    /// <summary>Spans of session work that Orleans does not trace itself.</summary>
    public static readonly ActivitySource Activities = new(Name);

    private readonly Counter<long> _created;
    private readonly Counter<long> _expired;
    private readonly Counter<long> _deleted;
    private readonly UpDownCounter<long> _active;
    private readonly Counter<long> _operations;
    private readonly Counter<long> _retries;

    public SessionMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(Name);
        _created = meter.CreateCounter<long>("sessiongrains.sessions.created", "{session}", "Sessions created");
        _expired = meter.CreateCounter<long>("sessiongrains.sessions.expired", "{session}", "Sessions that expired");
        _deleted = meter.CreateCounter<long>("sessiongrains.sessions.deleted", "{session}", "Sessions deleted or rotated away");
        _active = meter.CreateUpDownCounter<long>("sessiongrains.sessions.active", "{session}", "Live sessions active in memory on this silo");
        _operations = meter.CreateCounter<long>("sessiongrains.operations", "{operation}", "Session operations by kind");
        _retries = meter.CreateCounter<long>("sessiongrains.retries", "{retry}", "Grain calls the front end retried after a silo failure");
    }

    public void Created() => _created.Add(1);

    public void Expired() => _expired.Add(1);

    public void Deleted() => _deleted.Add(1);

    public void Activated() => _active.Add(1);

    public void Deactivated() => _active.Add(-1);

    public void Operation(string kind) => _operations.Add(1, new KeyValuePair<string, object?>("kind", kind));

    public void Retried(string failure) => _retries.Add(1, new KeyValuePair<string, object?>("failure", failure));
}
