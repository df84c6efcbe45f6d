using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using Orleans.Dashboard;
using Orleans.Runtime;

namespace SessionGrains.Hosting;

/// <summary>Which of Orleans' instruments a silo feeds the Orleans Dashboard's counters page (<c>Dashboard:OrleansCounters</c>).</summary>
public enum DashboardCounters
{
    /// <summary>
    /// The default: every instrument Orleans reads once a second at no cost per message or per session (its observable
    /// instruments), except the two whose reading walks every activation or every directory cache entry.
    /// </summary>
    Light,

    /// <summary>Orleans' own feed: every instrument, as the dashboard package sets it up.</summary>
    All,

    /// <summary>No counters: the dashboard shows silos, grains and calls, and its counters page stays empty.</summary>
    None,
}

/// <summary>
/// The Orleans Dashboard's per-silo metrics feed, made cheap. The dashboard package listens to every instrument of
/// Orleans' meter and reads them once a second, which has two costs on a session silo:
/// <list type="bullet">
/// <item>two gauges walk every activation (<c>orleans-messaging-processing-activation-data</c>) and every directory
/// cache entry (<c>orleans-directory-cache-size</c>) at each reading: an idle silo holding 1,000,000 sessions spent
/// 261 ms of CPU per second with the package's feed, 12 ms with this one (bench/Memory, docs/BENCHMARKS.md);</item>
/// <item>enabling the synchronous instruments makes Orleans record several measurements on every message.</item>
/// </list>
/// <see cref="DashboardCounters.Light"/> keeps the package's host (it activates the dashboard's grains at start) but
/// not its meter provider, which the host starts as a silo lifecycle participant; this feed reads the observable
/// instruments instead, without the two walks. The dashboard's other pages (silos, grains per silo, calls) do not
/// depend on it. The package keeps these types internal, so they are found by name; if a later package moves them,
/// its own feed stays in place (<see cref="Replace"/> answers false) and the tests of this class fail.
/// </summary>
internal sealed class DashboardFeed(IServiceProvider services, OrleansInstruments orleans, DashboardCounters counters) : IHostedService, IDisposable
{
    public const string CountersKey = "Dashboard:OrleansCounters";

    /// <summary>The gauges whose every reading walks all activations or all directory cache entries.</summary>
    public static readonly IReadOnlySet<string> PerSessionGauges = new HashSet<string>(StringComparer.Ordinal)
    {
        "orleans-messaging-processing-activation-data",
        "orleans-directory-cache-size",
    };

    private static readonly Assembly Package = typeof(DashboardOptions).Assembly;
    private static readonly Type? PackageHost = Package.GetType("Orleans.Dashboard.DashboardHost");
    private static readonly Type? Exporter = Package.GetType("Orleans.Dashboard.Implementation.DashboardTelemetryExporter");

    private MeterProvider? _meterProvider;

    /// <summary>
    /// Puts this feed in place of the dashboard package's (call after <c>AddDashboard</c>). False when the setting is
    /// <see cref="DashboardCounters.All"/>, or when the package's feed is not where this version of it keeps it.
    /// </summary>
    public static bool Replace(IServiceCollection services, IConfiguration configuration)
    {
        var counters = configuration.GetValue(CountersKey, DashboardCounters.Light);
        if (counters == DashboardCounters.All || PackageHost is null || Exporter is null || !typeof(BaseExporter<Metric>).IsAssignableFrom(Exporter)) return false;
        // The host joins the silo's lifecycle through a registration that resolves it; that is what starts its meter provider.
        var participant = services.FirstOrDefault(d => d.ServiceType == typeof(ILifecycleParticipant<ISiloLifecycle>) && Resolves(d, PackageHost));
        if (participant is null) return false;
        services.Remove(participant);
        services.AddHostedService(provider => ActivatorUtilities.CreateInstance<DashboardFeed>(provider, counters));
        return true;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (counters == DashboardCounters.Light)
        {
            _meterProvider = Sdk.CreateMeterProviderBuilder()
                .AddMeter(orleans.Meter.Name)
                .AddView(instrument => instrument.Meter == orleans.Meter && instrument.IsObservable && !PerSessionGauges.Contains(instrument.Name)
                    ? null : MetricStreamConfiguration.Drop)
                .AddReader(new PeriodicExportingMetricReader((BaseExporter<Metric>)services.GetRequiredService(Exporter!), 1000, 1000))
                .Build();
        }
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose() => _meterProvider?.Dispose();

    /// <summary>Whether a factory registration resolves <paramref name="implementation"/> (it keeps the type in its closure).</summary>
    private static bool Resolves(ServiceDescriptor descriptor, Type implementation) =>
        descriptor.ImplementationFactory?.Target is { } closure
        && closure.GetType().GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic).Any(field => Equals(field.GetValue(closure), implementation));
}
