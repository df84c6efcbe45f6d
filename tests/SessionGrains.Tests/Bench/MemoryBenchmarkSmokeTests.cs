using System.Diagnostics;
using System.Text.Json;
using SessionGrains.Tests.Infrastructure;
using Xunit;

namespace SessionGrains.Tests.Bench;

/// <summary>
/// The memory benchmark's quick mode (bench/Memory: one silo in its process, 10,000 sessions), run as people run it.
/// Figures are not asserted, only that its one row is there and plausible: every session created and active, memory
/// per session and idle CPU measured.
/// </summary>
public sealed class MemoryBenchmarkSmokeTests
{
    [Fact]
    public async Task Quick_memory_benchmark_measures_memory_and_idle_CPU_of_10000_live_sessions()
    {
        var output = RepositoryPaths.NewTempFolder("bench-memory");
        try
        {
            var dll = Path.Combine(RepositoryPaths.Root, "bench", "Memory", "bin", RepositoryPaths.Configuration, "net10.0", "SessionGrains.Bench.Memory.dll");
            Assert.True(File.Exists(dll), $"build bench/Memory first ({RepositoryPaths.Configuration}): {dll}");
            var info = new ProcessStartInfo("dotnet") { WorkingDirectory = RepositoryPaths.Root, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var arg in new[] { dll, "--quick", "--out", output }) info.ArgumentList.Add(arg);
            using var process = Process.Start(info)!;
            var log = Task.WhenAll(process.StandardOutput.ReadToEndAsync(), process.StandardError.ReadToEndAsync());
            using (var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3)))
            {
                try
                {
                    await process.WaitForExitAsync(timeout.Token);
                }
                catch (OperationCanceledException)
                {
                    process.Kill(entireProcessTree: true);
                    Assert.Fail("the memory benchmark did not finish within 3 minutes:\n" + string.Join("\n", await log));
                }
            }
            Assert.True(process.ExitCode == 0, $"the memory benchmark exited with {process.ExitCode}:\n{string.Join("\n", await log)}");

            using var rows = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(output, "memory.json")));
            var row = Assert.Single(rows.RootElement.EnumerateArray().ToList());
            Assert.Equal(10_000, row.GetProperty("sessions").GetInt64());
            Assert.Equal(0, row.GetProperty("failed").GetInt64());
            Assert.True(row.GetProperty("active").GetInt64() >= 10_000, $"active: {row.GetProperty("active")}");
            Assert.True(row.GetProperty("heapBytesPerSession").GetDouble() > 0, $"heap per session: {row.GetProperty("heapBytesPerSession")}");
            var idle = row.GetProperty("idleCpuMsPerSecond").GetDouble();
            Assert.True(double.IsFinite(idle) && idle > 0, $"idle CPU: {idle} ms per s");
            Assert.Contains("idle CPU, ms per s", await File.ReadAllTextAsync(Path.Combine(output, "memory.md")), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }
}
