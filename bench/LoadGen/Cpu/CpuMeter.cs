using System.Diagnostics;

namespace SessionGrains.Bench.LoadGen.Cpu;

/// <summary>
/// Measures the CPU time of the processes of one system under test and of the load generator between two
/// samples. A process's time is the sum over its live threads of <c>/proc/PID/task/TID/schedstat</c> (field 1,
/// nanoseconds on CPU) plus what its children used (<c>cutime + cstime</c> of children it waited for, and
/// children still running, in clock ticks). When a thread that was there at the first sample is gone at the
/// second, or the tick counters of <c>/proc/PID/stat</c> (utime + stime, which keep exited threads) exceed the
/// thread sum by more than their rounding, the tick counters are used instead.
/// </summary>
public sealed class CpuMeter(IReadOnlyList<SutProcess> processes)
{
    /// <summary>Ticks by which the two sources may differ through rounding alone (each of utime and stime is truncated, at both samples).</summary>
    private const long RoundingTicks = 4;

    public IReadOnlyList<SutProcess> Processes => processes;

    /// <summary>Nanoseconds each live background JIT thread of the system under test has run so far, by (pid, tid).</summary>
    public Dictionary<(int Pid, int Tid), long> JitThreads() =>
        processes
            .SelectMany(p => (ProcFs.ThreadRuntimes(p.Pid, onlyJit: true) ?? []).Select(t => (Key: (p.Pid, t.Key), t.Value.Nanoseconds)))
            .ToDictionary(t => t.Key, t => t.Nanoseconds);

    public CpuSample Sample()
    {
        var begin = Stopwatch.GetTimestamp();
        var machine = ProcFs.MachineBusyTicks();
        var samples = processes.ToDictionary(p => p.Pid, p => ProcessSample.Take(p.Pid));
        var self = ProcessSample.Take(Environment.ProcessId, withChildren: false);
        var end = Stopwatch.GetTimestamp();
        return new CpuSample(begin + (end - begin) / 2, samples, self, machine);
    }

    /// <summary>CPU used between two samples, scaled to <paramref name="windowSeconds"/> (the measured window the samples bracket).</summary>
    public CpuWindow Between(CpuSample before, CpuSample after, double windowSeconds)
    {
        var sampled = (after.Timestamp - before.Timestamp) / (double)Stopwatch.Frequency;
        var scale = sampled > 0 ? windowSeconds / sampled : double.NaN;
        var times = processes
            .Select(p => Delta(p.Name, p.Role, p.Pid, before.Processes.GetValueOrDefault(p.Pid), after.Processes.GetValueOrDefault(p.Pid), scale))
            .ToList();
        var self = Delta("load generator", "load generator", Environment.ProcessId, before.LoadGenerator, after.LoadGenerator, scale);
        var machine = (after.MachineBusyTicks - before.MachineBusyTicks) / (double)ProcFs.ClockTicks * scale;
        return new CpuWindow(windowSeconds, sampled, times, self, machine);
    }

    private static ProcessCpuTime Delta(string name, string role, int pid, ProcessSample? before, ProcessSample? after, double scale)
    {
        if (before is null || after is null) return new ProcessCpuTime(name, role, pid, double.NaN, double.NaN, "gone", double.NaN);
        var nsPerTick = 1e9 / ProcFs.ClockTicks;
        var childTicks = after.Stat.Children - before.Stat.Children + after.LiveChildTicks - before.LiveChildTicks;
        var statTicks = after.Stat.Own - before.Stat.Own + childTicks;
        var threadNs = after.Threads.Values.Sum(t => t.Nanoseconds) - before.Threads.Values.Sum(t => t.Nanoseconds) + childTicks * nsPerTick;
        // The background JIT's part: its threads' time since the first sample (a JIT thread that exited meanwhile is missed).
        var jitNs = after.Threads.Where(t => t.Value.Jit).Sum(t => t.Value.Nanoseconds - (before.Threads.TryGetValue(t.Key, out var b) ? b.Nanoseconds : 0));
        var threadsKept = before.Threads.Keys.All(after.Threads.ContainsKey);
        var useThreads = threadsKept && statTicks * nsPerTick - threadNs <= RoundingTicks * nsPerTick;
        var seconds = (useThreads ? threadNs : statTicks * nsPerTick) / 1e9 * scale;
        return new ProcessCpuTime(name, role, pid, seconds, statTicks * nsPerTick / 1e9 * scale, useThreads ? "schedstat" : "stat", jitNs / 1e9 * scale);
    }
}
