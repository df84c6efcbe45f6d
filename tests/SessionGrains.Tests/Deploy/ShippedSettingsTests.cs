using Microsoft.Extensions.Configuration;
using SessionGrains.Client;
using SessionGrains.Tests.Infrastructure;
using Xunit;

namespace SessionGrains.Tests.Deploy;

/// <summary>
/// One configuration source for every way of starting a silo or front end: the appsettings.json shipped next to the
/// binary, whatever the working directory or content root (the launcher starts processes in its state directory;
/// the images run in /app; <c>dotnet run</c> in the project folder).
/// </summary>
public sealed class ShippedSettingsTests
{
    [Theory]
    [InlineData("Client")]
    [InlineData("Silo")]
    public void Each_host_ships_warning_as_its_log_level(string project)
    {
        var shipped = new ConfigurationBuilder().AddJsonFile(Path.Combine(RepositoryPaths.Root, project, "appsettings.json")).Build();
        Assert.Equal("Warning", shipped["Logging:LogLevel:Default"]);
    }

    [Fact]
    public async Task The_front_end_reads_the_settings_next_to_its_binary_and_not_those_of_its_content_root()
    {
        var contentRoot = RepositoryPaths.NewTempFolder("shipped-settings");
        try
        {
            // A stray file where ASP.NET Core would look by default: it must not compete with the shipped one.
            await File.WriteAllTextAsync(Path.Combine(contentRoot, "appsettings.json"), """{"Logging":{"LogLevel":{"Default":"Trace"}}}""");
            var ports = FreePorts.Take(2);
            await using var app = FrontEndHost.Build(["--urls", "http://127.0.0.1:0", "--contentRoot", contentRoot,
                "--Cluster:SiloPort", ports[0].ToString(), "--Cluster:GatewayPort", ports[1].ToString()]);

            Assert.Equal("Warning", app.Configuration["Logging:LogLevel:Default"]);
            Assert.Equal(contentRoot, app.Environment.ContentRootPath.TrimEnd(Path.DirectorySeparatorChar));
        }
        finally
        {
            Directory.Delete(contentRoot, recursive: true);
        }
    }

    [Fact]
    public async Task The_command_line_and_the_environment_still_override_the_shipped_settings()
    {
        var contentRoot = RepositoryPaths.NewTempFolder("shipped-settings");
        try
        {
            var ports = FreePorts.Take(2);
            await using var app = FrontEndHost.Build(["--urls", "http://127.0.0.1:0", "--contentRoot", contentRoot,
                "--Cluster:SiloPort", ports[0].ToString(), "--Cluster:GatewayPort", ports[1].ToString(), "--Logging:LogLevel:Default=Information"]);

            Assert.Equal("Information", app.Configuration["Logging:LogLevel:Default"]);
        }
        finally
        {
            Directory.Delete(contentRoot, recursive: true);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task The_content_root_is_watched_for_changes_only_when_the_operator_asks(bool asked)
    {
        // The standalone SQLite file lives below the content root: a watch there wakes a thread on every write.
        var contentRoot = RepositoryPaths.NewTempFolder("shipped-settings");
        try
        {
            var ports = FreePorts.Take(2);
            string[] args = ["--urls", "http://127.0.0.1:0", "--contentRoot", contentRoot,
                "--Cluster:SiloPort", ports[0].ToString(), "--Cluster:GatewayPort", ports[1].ToString()];
            await using var app = FrontEndHost.Build(asked ? [.. args, "--hostBuilder:reloadConfigOnChange=true"] : args);

            Assert.Equal(asked, (await WatchedInodes()).Contains(await Inode(contentRoot)));
        }
        finally
        {
            Directory.Delete(contentRoot, recursive: true);
        }
    }

    /// <summary>The inodes this process watches with inotify, from /proc/self/fdinfo.</summary>
    private static async Task<HashSet<long>> WatchedInodes()
    {
        var inodes = new HashSet<long>();
        foreach (var fd in Directory.GetFiles("/proc/self/fd"))
        {
            string? target;
            try
            {
                target = new FileInfo(fd).LinkTarget;
            }
            catch (IOException)
            {
                continue;
            }
            if (target != "anon_inode:inotify") continue;
            foreach (var line in await File.ReadAllLinesAsync($"/proc/self/fdinfo/{Path.GetFileName(fd)}"))
            {
                var at = line.IndexOf(" ino:", StringComparison.Ordinal);
                if (line.StartsWith("inotify", StringComparison.Ordinal) && at >= 0)
                    inodes.Add(Convert.ToInt64(line[(at + 5)..].Split(' ')[0], 16));
            }
        }
        return inodes;
    }

    private static async Task<long> Inode(string path)
    {
        using var stat = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("stat", ["-c", "%i", path]) { RedirectStandardOutput = true })!;
        var output = await stat.StandardOutput.ReadToEndAsync();
        await stat.WaitForExitAsync();
        return long.Parse(output.Trim(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
