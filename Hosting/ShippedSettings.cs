using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.Json;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;

namespace SessionGrains.Hosting;

/// <summary>
/// The one configuration file of a silo or front end: the <c>appsettings.json</c> (and <c>appsettings.{Environment}.json</c>)
/// shipped next to the binary. ASP.NET Core looks for them in the content root, which defaults to the working directory:
/// a process started from anywhere else (the local-cluster launcher, a service manager) would silently run without them,
/// with the framework's defaults (Information logging). Every way of starting the processes — <c>dotnet run</c>, the
/// launcher, the container images of compose and Kubernetes — reads them from <see cref="AppContext.BaseDirectory"/>.
/// Environment variables and the command line still override them, as before.
/// </summary>
public static class ShippedSettings
{
    public static TBuilder UseShippedSettings<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        var names = new[] { "appsettings.json", $"appsettings.{builder.Environment.EnvironmentName}.json" };
        var sources = builder.Configuration.Sources;
        for (var i = 0; i < sources.Count; i++)
        {
            if (sources[i] is not JsonConfigurationSource { Path: { } path } json || !names.Contains(path, StringComparer.OrdinalIgnoreCase)) continue;
            // Replacing the source (rather than changing it in place) makes the configuration load it again.
            sources[i] = new JsonConfigurationSource
            {
                FileProvider = new PhysicalFileProvider(AppContext.BaseDirectory),
                Path = path,
                Optional = json.Optional,
                ReloadOnChange = json.ReloadOnChange,
            };
        }
        return builder;
    }
}
