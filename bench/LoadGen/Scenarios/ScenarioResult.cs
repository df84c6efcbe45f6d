using SessionGrains.Bench.LoadGen.Load;
using SessionGrains.Bench.LoadGen.Storage;

namespace SessionGrains.Bench.LoadGen.Scenarios;

/// <summary>One row of the results: one scenario against one target.</summary>
public sealed record ScenarioResult
{
    public required string Scenario { get; init; }

    public required string Target { get; init; }

    public required string TargetDescription { get; init; }

    public required bool IsSessionGrains { get; init; }

    /// <summary>Successful requests a second (fan-out: events delivered a second, over all sockets).</summary>
    public required double PerSecond { get; init; }

    public required double P50Ms { get; init; }

    public required double P99Ms { get; init; }

    public required long Operations { get; init; }

    public required long Errors { get; init; }

    public required int Connections { get; init; }

    /// <summary>Increments acknowledged (2xx) minus the counter's final value; increment scenario only.</summary>
    public long? LostUpdates { get; init; }

    public long? Acknowledged { get; init; }

    public long? FinalCounter { get; init; }

    public string? Note { get; init; }

    /// <summary>
    /// CPU time of every process of the system under test in the measured window, per request completed in it
    /// (fan-out: per event delivered), in microseconds; NaN when not measured (target <c>external</c>).
    /// </summary>
    public double SutCpuUsPerRequest { get; init; } = double.NaN;

    /// <summary>The load generator's own CPU time per request, in microseconds (not part of <see cref="SutCpuUsPerRequest"/>).</summary>
    public double LoadGenCpuUsPerRequest { get; init; } = double.NaN;

    /// <summary>CPU cores the system under test kept busy on average in the window (CPU seconds / window seconds).</summary>
    public double SutCores { get; init; } = double.NaN;

    public double LoadGenCores { get; init; } = double.NaN;

    /// <summary>Cores busy with anything else (other processes, the hypervisor's steal) in the window: the noise.</summary>
    public double OtherCores { get; init; } = double.NaN;

    /// <summary>Part of <see cref="SutCpuUsPerRequest"/> the runtime's background JIT compiler used in the window (at least).</summary>
    public double JitUsPerRequest { get; init; } = double.NaN;

    /// <summary>How long the warm-up lasted (its minimum, or longer while the processes under test still compiled).</summary>
    public double WarmupSeconds { get; init; } = double.NaN;

    /// <summary>False when the warm-up hit its maximum with the processes under test still compiling.</summary>
    public bool WarmupSettled { get; init; } = true;

    /// <summary>Whether other processes left the machine quiet when the window opened (<c>--wait-quiet</c>); null when not waited for.</summary>
    public bool? QuietMachine { get; init; }

    /// <summary>Each process of the system under test: its CPU per request and its share of the SUT's CPU.</summary>
    public IReadOnlyList<ProcessCpu> Processes { get; init; } = [];

    /// <summary>The storage's work per acknowledged request over the whole run, warm-up included; null without storage (kestrel, external).</summary>
    public StorageCost? Storage { get; init; }

    /// <summary>This row with the warm-up of <paramref name="load"/> and its CPU figures divided by <paramref name="requests"/>.</summary>
    public ScenarioResult WithCpu(LoadResult load, long requests)
    {
        var warm = this with { WarmupSeconds = load.WarmupSeconds, WarmupSettled = load.WarmupSettled, QuietMachine = load.QuietMachine };
        var cpu = load.Cpu;
        if (cpu is null || requests <= 0) return warm;
        var sut = cpu.SutSeconds;
        // Without known processes (target external) there is no SUT figure, only the load generator's.
        var measured = cpu.Processes.Count > 0;
        return warm with
        {
            SutCpuUsPerRequest = measured ? sut * 1e6 / requests : double.NaN,
            JitUsPerRequest = measured ? cpu.Processes.Sum(p => p.JitSeconds) * 1e6 / requests : double.NaN,
            LoadGenCpuUsPerRequest = cpu.LoadGenerator.Seconds * 1e6 / requests,
            SutCores = measured ? sut / cpu.WindowSeconds : double.NaN,
            LoadGenCores = cpu.LoadGenerator.Seconds / cpu.WindowSeconds,
            OtherCores = measured ? cpu.OtherSeconds / cpu.WindowSeconds : double.NaN,
            Processes = cpu.Processes
                .Select(p => new ProcessCpu(p.Name, p.Role, p.Pid, p.Seconds * 1e6 / requests, p.Seconds / sut, p.Seconds / cpu.WindowSeconds, p.Method,
                    p.StatSeconds * 1e6 / requests, p.JitSeconds * 1e6 / requests))
                .ToList(),
        };
    }
}

/// <summary>
/// One process's part of a row: µs of CPU per request, share of the system's CPU, cores it kept busy, how it was
/// read (<see cref="Cpu.ProcessCpuTime"/>), the tick counters' figure and the background JIT's part.
/// </summary>
public sealed record ProcessCpu(string Name, string Role, int Pid, double UsPerRequest, double Share, double Cores, string Method, double StatUsPerRequest, double JitUsPerRequest);
