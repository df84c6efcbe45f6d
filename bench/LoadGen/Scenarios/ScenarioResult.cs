using SessionGrains.Bench.LoadGen.Cpu;

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

    /// <summary>Each process of the system under test: its CPU per request and its share of the SUT's CPU.</summary>
    public IReadOnlyList<ProcessCpu> Processes { get; init; } = [];

    /// <summary>This row with the CPU figures of <paramref name="cpu"/> divided by <paramref name="requests"/>.</summary>
    public ScenarioResult WithCpu(CpuWindow? cpu, long requests)
    {
        if (cpu is null || requests <= 0) return this;
        var sut = cpu.SutSeconds;
        return this with
        {
            SutCpuUsPerRequest = sut * 1e6 / requests,
            LoadGenCpuUsPerRequest = cpu.LoadGenerator.Seconds * 1e6 / requests,
            SutCores = sut / cpu.WindowSeconds,
            LoadGenCores = cpu.LoadGenerator.Seconds / cpu.WindowSeconds,
            OtherCores = cpu.OtherSeconds / cpu.WindowSeconds,
            Processes = cpu.Processes
                .Select(p => new ProcessCpu(p.Name, p.Role, p.Pid, p.Seconds * 1e6 / requests, p.Seconds / sut, p.Seconds / cpu.WindowSeconds, p.Method, p.StatSeconds * 1e6 / requests))
                .ToList(),
        };
    }
}

/// <summary>One process's part of a row: µs of CPU per request, share of the system's CPU, cores it kept busy, and how it was read (<see cref="ProcessCpuTime"/>).</summary>
public sealed record ProcessCpu(string Name, string Role, int Pid, double UsPerRequest, double Share, double Cores, string Method, double StatUsPerRequest);
