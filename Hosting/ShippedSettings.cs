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
    /// <summary>The host setting of ASP.NET Core that makes configuration files reload when they change.</summary>
    public const string ReloadOnChangeKey = "hostBuilder:reloadConfigOnChange";

    /// <summary>
    /// The process's arguments, with configuration files not watched for changes unless the operator asks for it
    /// (<c>--hostBuilder:reloadConfigOnChange=true</c>, or the variable <c>DOTNET_hostBuilder__reloadConfigOnChange</c> or
    /// <c>ASPNETCORE_hostBuilder__reloadConfigOnChange</c>).
    /// ASP.NET Core's default watches the content root and every folder below it with inotify, and the standalone
    /// SQLite file lives below it (<c>data/</c>): every write to the file woke a watcher thread (5-6 % of a standalone
    /// process's CPU under write load, measured with perf). Nothing in SessionGrains reads a setting again after start.
    /// </summary>
    public static string[] HostArguments(string[] args)
    {
        var variable = ReloadOnChangeKey.Replace(":", "__", StringComparison.Ordinal);
        var asked = Environment.GetEnvironmentVariable("DOTNET_" + variable) is not null || Environment.GetEnvironmentVariable("ASPNETCORE_" + variable) is not null
            || args.Any(a => a.Contains(ReloadOnChangeKey, StringComparison.OrdinalIgnoreCase));
        return asked ? args : [$"--{ReloadOnChangeKey}=false", .. args];
    }

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
