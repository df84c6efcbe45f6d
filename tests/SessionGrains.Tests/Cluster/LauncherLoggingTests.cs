using System.Text.RegularExpressions;
using SessionGrains.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace SessionGrains.Tests.Cluster;

/// <summary>
/// The launcher's processes log as a production deployment does, from the appsettings.json shipped with each binary
/// (Warning), although it starts them in its state directory, far from their content root.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed partial class LauncherLoggingTests(LocalCluster cluster, ITestOutputHelper output)
{
    [Fact]
    public async Task Processes_the_launcher_starts_write_no_information_lines_under_load()
    {
        await cluster.WaitReady();
        var before = cluster.ProcessLogs().ToDictionary(f => f, f => new FileInfo(f).Length);
        await LauncherLogs.Load(cluster, calls: 300);

        var lines = new List<string>();
        foreach (var file in cluster.ProcessLogs())
        {
            var written = LauncherLogs.WrittenSince(file, before.GetValueOrDefault(file));
            output.WriteLine($"{Path.GetFileName(file)}: {written.Length} bytes written during 300 calls");
            lines.AddRange(written.Split('\n').Where(l => BelowWarning().IsMatch(l)).Select(l => $"{Path.GetFileName(file)}: {l}"));
        }
        Assert.Empty(lines);
    }

    /// <summary>A console line below Warning, other than the host's own start and stop lines.</summary>
    [GeneratedRegex(@"^\S+ (info|dbug|trce): (?!Microsoft\.Hosting\.Lifetime\[)")]
    private static partial Regex BelowWarning();
}

/// <summary><c>up --log-level Information</c>: every process logs its requests, also after a restart.</summary>
public sealed class LauncherLogLevelTests(LauncherLogLevelTests.VerboseCluster cluster) : IClassFixture<LauncherLogLevelTests.VerboseCluster>
{
    public sealed class VerboseCluster : LocalCluster
    {
        protected override int Silos => 1;

        protected override int FrontEnds => 1;

        protected override string? LogLevel => "Information";
    }

    [Fact]
    public async Task The_log_level_flag_raises_every_process_to_information_and_is_kept_for_restarts()
    {
        await LauncherLogs.Load(cluster, calls: 5);
        Assert.All(cluster.ProcessLogs(), file => Assert.Contains(" info: Orleans.", File.ReadAllText(file)));
        var frontEnd = Assert.Single(cluster.ProcessLogs(), f => Path.GetFileName(f) == "frontend-1.log");
        Assert.Contains(" info: Microsoft.AspNetCore.Hosting.Diagnostics[", File.ReadAllText(frontEnd));

        await cluster.StopFrontEnd(1);
        await cluster.StartFrontEnd(1);
        var length = new FileInfo(frontEnd).Length;
        await LauncherLogs.Load(cluster, calls: 5);
        Assert.Contains(" info: Microsoft.AspNetCore.Hosting.Diagnostics[", LauncherLogs.WrittenSince(frontEnd, length));
    }
}

internal static class LauncherLogs
{
    /// <summary>Creates, writes and reads sessions through every front end in turn.</summary>
    public static async Task Load(LocalCluster cluster, int calls)
    {
        var clients = cluster.FrontEndUrls.Select((_, i) => cluster.CreateClient(i + 1)).ToList();
        try
        {
            var apis = clients.Select(c => new SessionApi(c)).ToList();
            var session = await apis[0].Create();
            for (var i = 0; i < calls; i++)
            {
                var api = apis[i % apis.Count];
                using var response = i % 3 == 0
                    ? await api.Send(HttpMethod.Put, "/sessions/current/data/n", session.Token, SessionApi.Json(i.ToString()))
                    : await api.Send(HttpMethod.Get, "/sessions/current", session.Token);
                response.EnsureSuccessStatusCode();
            }
        }
        finally
        {
            foreach (var client in clients) client.Dispose();
        }
    }

    public static string WrittenSince(string file, long offset)
    {
        using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        stream.Seek(offset, SeekOrigin.Begin);
        return new StreamReader(stream).ReadToEnd();
    }
}
