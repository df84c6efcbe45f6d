using System.Diagnostics;
using System.Text.Json;
using SessionGrains.Tests.Infrastructure;
using Xunit;

namespace SessionGrains.Tests.Bench;

/// <summary>
/// The benchmark's quick mode, run as the process people run (bench/LoadGen against freshly started SessionGrains
/// standalone, SessionGrains cluster and the Redis-session baseline). Timings are not asserted: only that every
/// scenario produced a row and that SessionGrains lost no increment.
/// </summary>
public sealed class BenchmarkSmokeTests
{
    private static readonly TimeSpan Budget = TimeSpan.FromMinutes(3);

    private static readonly string[] Scenarios = ["read", "write", "mix 90/10", "increment (1 session)", "create", "fan-out"];

    [Fact]
    public async Task Quick_benchmark_completes_with_a_row_per_scenario_and_no_lost_update_in_SessionGrains()
    {
        var output = RepositoryPaths.NewTempFolder("bench");
        var clusterState = Path.Combine(output, "cluster");
        try
        {
            var (exitCode, log) = await RunLoadGen(["--quick", "--config", RepositoryPaths.Configuration, "--out", output, "--cluster-state", clusterState]);
            Assert.True(exitCode == 0, $"the load generator exited with {exitCode}:\n{log}");

            var table = await File.ReadAllTextAsync(Path.Combine(output, "results.md"));
            foreach (var target in new[] { "standalone", "cluster", "baseline" })
            {
                foreach (var scenario in Scenarios.Where(s => target != "baseline" || s != "fan-out"))
                {
                    Assert.Contains(table.Split('\n'), line => line.StartsWith($"| {scenario}", StringComparison.Ordinal) && line.Contains($"| {target} |", StringComparison.Ordinal));
                }
            }

            using var results = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(output, "results.json")));
            var increments = results.RootElement.GetProperty("results").EnumerateArray()
                .Where(row => row.GetProperty("scenario").GetString()!.StartsWith("increment", StringComparison.Ordinal))
                .ToList();
            Assert.Equal(3, increments.Count);
            foreach (var row in increments.Where(row => row.GetProperty("isSessionGrains").GetBoolean()))
            {
                Assert.True(row.GetProperty("acknowledged").GetInt64() > 0, $"{row.GetProperty("target")} acknowledged no increment");
                Assert.Equal(0, row.GetProperty("lostUpdates").GetInt64());
            }
            Assert.True(File.Exists(Path.Combine(output, "benchmarks.png")));
        }
        finally
        {
            // The cluster's processes run detached from the load generator: make sure none outlives the test.
            if (File.Exists(Path.Combine(clusterState, "cluster.env"))) await LocalClusterDown(clusterState);
            try
            {
                Directory.Delete(output, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private static async Task<(int ExitCode, string Log)> RunLoadGen(string[] args)
    {
        var dll = Path.Combine(RepositoryPaths.Root, "bench", "LoadGen", "bin", RepositoryPaths.Configuration, "net10.0", "SessionGrains.Bench.LoadGen.dll");
        Assert.True(File.Exists(dll), $"build bench/LoadGen first ({RepositoryPaths.Configuration}): {dll}");
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = RepositoryPaths.Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(dll);
        foreach (var arg in args) info.ArgumentList.Add(arg);
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(Budget);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            // SIGTERM first: the load generator then stops every target it started.
            Process.Start("kill", ["-TERM", process.Id.ToString()])?.WaitForExit();
            if (!process.WaitForExit(TimeSpan.FromSeconds(60))) process.Kill(entireProcessTree: true);
            Assert.Fail($"the quick benchmark did not finish within {Budget}:\n{await stdout}\n{await stderr}");
        }
        return (process.ExitCode, await stdout + await stderr);
    }

    private static async Task LocalClusterDown(string state)
    {
        var info = new ProcessStartInfo("bash") { WorkingDirectory = RepositoryPaths.Root, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { Path.Combine(RepositoryPaths.Root, "scripts", "local-cluster.sh"), "down", "--state", state }) info.ArgumentList.Add(arg);
        using var process = Process.Start(info)!;
        _ = process.StandardOutput.ReadToEndAsync();
        _ = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
    }
}
