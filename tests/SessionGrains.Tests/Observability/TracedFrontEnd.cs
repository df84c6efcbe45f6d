using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using OpenTelemetry.Trace;
using SessionGrains.Tests.Infrastructure;

namespace SessionGrains.Tests.Observability;

/// <summary>A standalone front end whose spans are also kept in memory.</summary>
public sealed class TracedFrontEnd : StandaloneFrontEnd
{
    public List<Activity> Spans { get; } = [];

    protected override IReadOnlyDictionary<string, string> Settings { get; } = new Dictionary<string, string> { ["Telemetry:Tracing"] = "true" };

    protected override void Configure(WebApplicationBuilder builder) =>
        builder.Services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddInMemoryExporter(Spans));
}
