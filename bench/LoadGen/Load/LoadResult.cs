using HdrHistogram;
using SessionGrains.Bench.LoadGen.Cpu;
using SessionGrains.Bench.LoadGen.Storage;

namespace SessionGrains.Bench.LoadGen.Load;

/// <summary>What a closed-loop run measured in its window: successful operations, failures, latency in microseconds.</summary>
public sealed record LoadResult(long Operations, long Errors, double Seconds, HistogramBase Latency)
{
    public double PerSecond => Operations / Seconds;

    /// <summary>CPU time of the window, when it was measured.</summary>
    public CpuWindow? Cpu { get; init; }

    /// <summary>How long the warm-up lasted.</summary>
    public double WarmupSeconds { get; init; }

    /// <summary>False when the warm-up ended at its maximum with the processes under test still compiling.</summary>
    public bool WarmupSettled { get; init; } = true;

    /// <summary>Whether other processes left the machine quiet when the window opened; null when that was not waited for.</summary>
    public bool? QuietMachine { get; init; }

    /// <summary>Successful operations over the whole run, warm-up and the answers after the window included.</summary>
    public long Acknowledged { get; init; }

    /// <summary>The storage's work over the whole run per acknowledged operation, when it was measured.</summary>
    public StorageCost? Storage { get; init; }

    public double P50Ms => Latency.TotalCount == 0 ? double.NaN : Latency.GetValueAtPercentile(50) / 1000.0;

    public double P99Ms => Latency.TotalCount == 0 ? double.NaN : Latency.GetValueAtPercentile(99) / 1000.0;

    /// <summary>Latencies are recorded in microseconds, up to a minute, to three significant digits.</summary>
    public static LongHistogram NewHistogram() => new(60_000_000, 3);
}
