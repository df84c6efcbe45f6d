using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Orleans.Diagnostics;

namespace SessionGrains.Grains.Telemetry;

/// <summary>
/// OpenTelemetry for both hosts: traces (ASP.NET Core, Orleans calls and storage, SessionGrains), metrics
/// (ASP.NET Core, <c>Microsoft.Orleans</c>, <c>SessionGrains</c>) for Prometheus scraping at <c>/metrics</c>,
/// and OTLP export of all three signals when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set.
/// </summary>
public static class SessionTelemetry
{
    public static OpenTelemetryBuilder AddSessionTelemetry(this IHostApplicationBuilder builder, string serviceName)
    {
        builder.Services.AddSingleton<SessionMetrics>();
        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(serviceName, serviceInstanceId: Environment.MachineName + ":" + Environment.ProcessId))
            .WithTracing(tracing => tracing
                .AddSource(ActivitySources.ApplicationGrainActivitySourceName)
                .AddSource(ActivitySources.RuntimeActivitySourceName)
                .AddSource(ActivitySources.StorageActivitySourceName)
                .AddSource(SessionMetrics.Name)
                .AddAspNetCoreInstrumentation(options => options.Filter = context => !IsOperationsPath(context.Request.Path)))
            .WithMetrics(metrics => metrics
                .AddMeter("Microsoft.Orleans")
                .AddMeter(SessionMetrics.Name)
                .AddAspNetCoreInstrumentation()
                .AddPrometheusExporter());
        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
        });
        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"])) telemetry.UseOtlpExporter();
        return telemetry;
    }

    private static bool IsOperationsPath(Microsoft.AspNetCore.Http.PathString path) =>
        path.StartsWithSegments("/metrics") || path.StartsWithSegments("/healthz") || path.StartsWithSegments("/readyz")
        || path.StartsWithSegments("/dashboard");   // the dashboard polls every second
}
