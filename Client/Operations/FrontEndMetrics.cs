using System.Diagnostics.Metrics;
using SessionGrains.Interfaces;

namespace SessionGrains.Client.Operations;

/// <summary>The front end's instruments of the service's meter (<c>SessionGrains</c>).</summary>
public sealed class FrontEndMetrics(IMeterFactory meters) : ISessionCallMetrics
{
    private readonly Counter<long> _retries = meters.Create(TelemetryNames.Meter)
        .CreateCounter<long>("sessiongrains.retries", "{retry}", "Grain calls the front end retried after a silo failure");

    public void Retried(string failure) => _retries.Add(1, new KeyValuePair<string, object?>("failure", failure));
}
