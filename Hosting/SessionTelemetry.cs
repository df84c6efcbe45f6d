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
using SessionGrains.Interfaces;

namespace SessionGrains.Hosting;

/// <summary>
/// OpenTelemetry for both hosts: traces (ASP.NET Core, Orleans calls and storage, SessionGrains), metrics
/// (ASP.NET Core, <c>Microsoft.Orleans</c>, <c>SessionGrains</c>) for Prometheus scraping at <c>/metrics</c>,
/// and OTLP export of all three signals when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set.
/// </summary>
public static class SessionTelemetry
{
    /// <summary>Turns tracing on without an OTLP endpoint (e.g. for an in-process exporter).</summary>
    public const string TracingKey = "Telemetry:Tracing";

    /// <summary>
    /// Set to true to export Orleans' own instruments too. Off by default: Orleans records several instruments per message,
    /// a measurable share of a read's CPU (see docs/BENCHMARKS.md); the dashboard shows Orleans' statistics anyway.
    /// </summary>
    public const string OrleansMetricsKey = "Telemetry:OrleansMetrics";

    public static OpenTelemetryBuilder AddSessionTelemetry(this IHostApplicationBuilder builder, string serviceName)
    {
        var configuration = builder.Configuration;
        var exporting = !string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(serviceName, serviceInstanceId: Environment.MachineName + ":" + Environment.ProcessId))
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(TelemetryNames.Meter).AddAspNetCoreInstrumentation().AddPrometheusExporter();
                if (configuration.GetValue(OrleansMetricsKey, defaultValue: false)) metrics.AddMeter("Microsoft.Orleans");
            });

        // A trace per request costs reads a third of their throughput (measured, bench/): trace only when the spans
        // go somewhere. Sampling follows the standard OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG variables.
        if (IsTracing(configuration))
        {
            telemetry.WithTracing(tracing => tracing
                .AddSource(ActivitySources.ApplicationGrainActivitySourceName)
                .AddSource(ActivitySources.RuntimeActivitySourceName)
                .AddSource(ActivitySources.StorageActivitySourceName)
                .AddSource(TelemetryNames.Meter)
                .AddSource(TelemetryNames.StorageSource)
                .AddAspNetCoreInstrumentation(options => options.Filter = context => !IsOperationsPath(context.Request.Path)));
        }
        if (exporting)
        {
            builder.Logging.AddOpenTelemetry(logging =>
            {
                logging.IncludeFormattedMessage = true;
                logging.IncludeScopes = true;
            });
            telemetry.UseOtlpExporter();
        }
        return telemetry;
    }

    /// <summary>
    /// Whether spans are recorded: an OTLP endpoint is set, or <see cref="TracingKey"/>. Orleans' call filters that carry
    /// the trace context across calls are installed only then; without spans they would only cost every call.
    /// </summary>
    public static bool IsTracing(IConfiguration configuration) =>
        !string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]) || configuration.GetValue(TracingKey, defaultValue: false);

    private static bool IsOperationsPath(Microsoft.AspNetCore.Http.PathString path) =>
        path.StartsWithSegments("/metrics") || path.StartsWithSegments("/healthz") || path.StartsWithSegments("/readyz")
        || path.StartsWithSegments("/dashboard");   // the dashboard polls every second
}
