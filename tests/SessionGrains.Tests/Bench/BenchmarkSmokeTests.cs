using System.Diagnostics;
using System.Text.Json;
using SessionGrains.Tests.Infrastructure;
using Xunit;

namespace SessionGrains.Tests.Bench;

/// <summary>
/// The benchmark's quick mode, run as the process people run (bench/LoadGen against freshly started SessionGrains
/// standalone, SessionGrains clusters of 2 silos + 1 front end, 3 silos + 2 front ends and 2 combined nodes, the Redis-session
/// baseline and the bare Kestrel app). Timings are not asserted: only that every scenario produced a row, that
/// SessionGrains lost no increment, that every row has a CPU time per request for the system under test and
/// for the load generator, made of every process the target started, and that every row of a target with storage
/// has the storage's work per request: Redis bytes and commands for a write on a Redis target, SQLite's bytes
/// written for a write standalone.
/// </summary>
public sealed class BenchmarkSmokeTests
{
    private static readonly TimeSpan Budget = TimeSpan.FromMinutes(5);

    private static readonly string[] Scenarios = ["read", "write", "mix 90/10", "increment (1 session)", "create", "create + first write", "fan-out"];

    /// <summary>Each target with the processes whose CPU counts against it.</summary>
    private static readonly Dictionary<string, string[]> Targets = new()
    {
        ["standalone"] = ["front end + silo"],
        ["cluster"] = ["front end 1", "silo 1", "silo 2", "redis"],
        ["cluster-3x2"] = ["front end 1", "front end 2", "silo 1", "silo 2", "silo 3", "redis"],
        ["cluster-combined"] = ["node 1", "node 2", "redis"],
        ["baseline"] = ["baseline app", "redis"],
        ["kestrel"] = ["kestrel"],
    };

    [Fact]
    public async Task Quick_benchmark_completes_with_a_row_per_scenario_CPU_per_request_and_no_lost_update_in_SessionGrains()
    {
        var output = RepositoryPaths.NewTempFolder("bench");
        var clusterState = Path.Combine(output, "cluster");
        try
        {
            var (exitCode, log) = await RunLoadGen(["--quick", "--config", RepositoryPaths.Configuration, "--out", output, "--cluster-state", clusterState]);
            Assert.True(exitCode == 0, $"the load generator exited with {exitCode}:\n{log}");

            if (Environment.ProcessorCount > 1) Assert.Contains("load generator: pinned to CPU", log);
            var table = await File.ReadAllTextAsync(Path.Combine(output, "results.md"));
            foreach (var target in Targets.Keys)
            {
                foreach (var scenario in Scenarios.Where(s => Runs(target, s)))
                {
                    Assert.Contains(table.Split('\n'), line => line.StartsWith($"| {scenario}", StringComparison.Ordinal) && line.Contains($"| {target} |", StringComparison.Ordinal));
                }
            }

            using var results = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(output, "results.json")));
            var rows = results.RootElement.GetProperty("results").EnumerateArray().ToList();
            Assert.Equal(Targets.Keys.Sum(target => Scenarios.Count(s => Runs(target, s))), rows.Count);
            foreach (var row in rows)
            {
                AssertCpu(row);
                AssertStorage(row);
            }
            var increments = results.RootElement.GetProperty("results").EnumerateArray()
                .Where(row => row.GetProperty("scenario").GetString()!.StartsWith("increment", StringComparison.Ordinal))
                .ToList();
            Assert.Equal(5, increments.Count);
            foreach (var row in increments.Where(row => row.GetProperty("isSessionGrains").GetBoolean()))
            {
                Assert.True(row.GetProperty("acknowledged").GetInt64() > 0, $"{row.GetProperty("target")} acknowledged no increment");
                Assert.Equal(0, row.GetProperty("lostUpdates").GetInt64());
            }
            Assert.True(File.Exists(Path.Combine(output, "benchmarks.png")));
            Assert.True(File.Exists(Path.Combine(output, "benchmarks-cpu.png")));
        }
        finally
        {
            // The clusters' processes run detached from the load generator: make sure none outlives the test.
            foreach (var state in Directory.Exists(clusterState) ? Directory.GetDirectories(clusterState) : [])
            {
                if (File.Exists(Path.Combine(state, "cluster.env"))) await LocalClusterDown(state);
            }
            try
            {
                Directory.Delete(output, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    /// <summary>The baseline has no push channel (no fan-out); the bare Kestrel app only answers GET /ok (read).</summary>
    private static bool Runs(string target, string scenario) => target switch
    {
        "baseline" => scenario != "fan-out",
        "kestrel" => scenario == "read",
        _ => true,
    };

    /// <summary>
    /// CPU per request of the system under test and of the load generator are positive and finite; the row names
    /// exactly the target's processes, each read from /proc (not gone), and their parts add up to the whole.
    /// </summary>
    private static void AssertCpu(JsonElement row)
    {
        var what = $"{row.GetProperty("target").GetString()} / {row.GetProperty("scenario").GetString()}";
        var sut = Finite(row, "sutCpuUsPerRequest", what);
        Assert.True(sut > 0, $"{what}: SUT CPU per request {sut}");
        Assert.True(Finite(row, "loadGenCpuUsPerRequest", what) > 0, $"{what}: no load generator CPU");
        Assert.True(Finite(row, "sutCores", what) > 0, $"{what}: no SUT cores");
        var processes = row.GetProperty("processes").EnumerateArray().ToList();
        Assert.Equal(Targets[row.GetProperty("target").GetString()!], processes.Select(p => p.GetProperty("name").GetString()!).ToArray());
        foreach (var process in processes)
        {
            Assert.NotEqual("gone", process.GetProperty("method").GetString());
            Assert.True(Finite(process, "usPerRequest", what) >= 0, $"{what}: {process.GetProperty("name")} has negative CPU");
            Assert.True(process.GetProperty("pid").GetInt32() > 0);
        }
        Assert.Equal(sut, processes.Sum(p => p.GetProperty("usPerRequest").GetDouble()), sut * 1e-6);
        // Every HTTP request is parsed by a front end (or the one app): it cannot have used no CPU.
        var first = processes[0];
        Assert.True(first.GetProperty("usPerRequest").GetDouble() > 0, $"{what}: {first.GetProperty("name")} used no CPU");
    }

    /// <summary>
    /// Every target but the bare Kestrel app has its storage read over a span with acknowledged requests in it; a
    /// write costs a Redis target bytes in both directions, commands and AOF pages, and standalone SQLite bytes written.
    /// </summary>
    private static void AssertStorage(JsonElement row)
    {
        var target = row.GetProperty("target").GetString()!;
        var what = $"{target} / {row.GetProperty("scenario").GetString()}";
        var storage = row.GetProperty("storage");
        if (target == "kestrel")
        {
            Assert.Equal(JsonValueKind.Null, storage.ValueKind);
            return;
        }
        Assert.Equal(target == "standalone" ? "SQLite" : "Redis", storage.GetProperty("kind").GetString());
        Assert.True(storage.GetProperty("operations").GetInt64() > 0, $"{what}: storage divided by no request");
        if (row.GetProperty("scenario").GetString() != "write") return;
        if (target == "standalone")
        {
            Assert.True(Finite(storage, "writeCallBytesPerRequest", what) > 0, $"{what}: SQLite wrote nothing");
            return;
        }
        Assert.True(Finite(storage, "redisInBytesPerRequest", what) > 0, $"{what}: no Redis bytes in");
        Assert.True(Finite(storage, "redisOutBytesPerRequest", what) > 0, $"{what}: no Redis bytes out");
        Assert.True(Finite(storage, "diskBytesPerRequest", what) > 0, $"{what}: no AOF bytes written");
        var commands = storage.GetProperty("redisCommands").EnumerateArray().ToList();
        Assert.NotEmpty(commands);
        Assert.All(commands, command => Assert.True(Finite(command, "perRequest", what) > 0, $"{what}: {command}"));
    }

    private static double Finite(JsonElement element, string property, string what)
    {
        var value = element.GetProperty(property);
        Assert.True(value.ValueKind == JsonValueKind.Number, $"{what}: {property} is {value}");
        var number = value.GetDouble();
        Assert.True(double.IsFinite(number), $"{what}: {property} is {number}");
        return number;
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
