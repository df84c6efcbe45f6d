using System.Diagnostics.Metrics;
using SessionGrains.Interfaces;

namespace SessionGrains.Grains.Jobs;

/// <summary>The job grains' instruments of the service's meter (<c>SessionGrains</c>).</summary>
public sealed class JobMetrics
{
    private readonly Counter<long> _started;
    private readonly Counter<long> _finished;
    private readonly Counter<long> _resumed;
    private readonly Counter<long> _checkpointed;

    public JobMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(TelemetryNames.Meter);
        _started = meter.CreateCounter<long>("sessiongrains.jobs.started", "{job}", "Session jobs started");
        _finished = meter.CreateCounter<long>("sessiongrains.jobs.finished", "{job}", "Session jobs finished, by status");
        _resumed = meter.CreateCounter<long>("sessiongrains.jobs.resumed", "{job}", "Session jobs resumed from a checkpoint by a new activation");
        _checkpointed = meter.CreateCounter<long>("sessiongrains.jobs.checkpointed", "By", "Output bytes made durable by job checkpoints");
    }

    public void Started() => _started.Add(1);

    public void Finished(JobStatus status) => _finished.Add(1, new KeyValuePair<string, object?>("status", JobJson.StatusName(status)));

    public void Resumed() => _resumed.Add(1);

    public void Checkpointed(long bytes) => _checkpointed.Add(bytes);
}
