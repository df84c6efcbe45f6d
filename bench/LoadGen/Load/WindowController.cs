using System.Diagnostics;
using SessionGrains.Bench.LoadGen.Cpu;

namespace SessionGrains.Bench.LoadGen.Load;

/// <summary>
/// Ends the warm-up and opens the measured window, on a thread of its own so that a thread pool busy with load
/// cannot delay it. The warm-up lasts at least its minimum; then, with processes to watch, until the runtime's
/// background JIT compiler in all of them together used less than 1 % of a core over the last second (a process
/// still recompiling hot methods is not warm), at most until its maximum. Optionally it then waits, at most
/// <c>quietMax</c>, for a quiet machine: less than <see cref="QuietOtherCores"/> of CPU used by anything but the
/// system under test and the load generator over a second. The CPU meter is read right when the window opens and
/// right when it closes.
/// </summary>
public static class WindowController
{
    /// <summary>Background JIT time per second, summed over the processes, below which they count as warm.</summary>
    public const double QuietJitCores = 0.01;

    /// <summary>CPU used by other processes (cores, over a second) below which the machine counts as quiet.</summary>
    public const double QuietOtherCores = 0.25;

    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// What the warm-up and the window came to: its CPU time (null without a meter), how long the warm-up lasted,
    /// whether the JIT went quiet, and whether the machine was quiet when the window opened (null: not waited for).
    /// </summary>
    public sealed record Outcome(CpuWindow? Cpu, double WarmupSeconds, bool Settled, bool? QuietMachine);

    public static Task<Outcome> Start(MeasureWindow window, long warmupStart, TimeSpan minWarmup, TimeSpan maxWarmup, TimeSpan duration, CpuMeter? meter,
        TimeSpan quietMax = default)
    {
        var result = new TaskCompletionSource<Outcome>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                SleepUntil(warmupStart + Ticks(minWarmup));
                var watched = meter is not null && meter.Processes.Count > 0;
                var settled = !watched || maxWarmup <= minWarmup || WaitForQuietJit(meter!, warmupStart + Ticks(maxWarmup));
                bool? quiet = watched && quietMax > TimeSpan.Zero ? WaitForQuietMachine(meter!, Stopwatch.GetTimestamp() + Ticks(quietMax)) : null;
                var from = Stopwatch.GetTimestamp();
                var to = from + Ticks(duration);
                window.Open(from, to);
                var before = meter?.Sample();
                SleepUntil(to);
                var after = meter?.Sample();
                var cpu = meter is null ? null : meter.Between(before!, after!, duration.TotalSeconds);
                result.SetResult(new Outcome(cpu, (from - warmupStart) / (double)Stopwatch.Frequency, settled, quiet));
            }
            catch (Exception ex)
            {
                result.SetException(ex);
            }
        })
        {
            IsBackground = true,
            Name = "measure-window",
        };
        thread.Start();
        return result.Task;
    }

    /// <summary>True once the JIT threads used less than <see cref="QuietJitCores"/> over the last second; false when <paramref name="deadline"/> came first.</summary>
    private static bool WaitForQuietJit(CpuMeter meter, long deadline)
    {
        var readings = new Queue<(long At, Dictionary<(int, int), long> Jit)>();
        while (true)
        {
            var now = Stopwatch.GetTimestamp();
            var jit = meter.JitThreads();
            readings.Enqueue((now, jit));
            while (readings.Count > 1 && now - readings.ElementAt(1).At >= Stopwatch.Frequency) readings.Dequeue();
            var (then, old) = readings.Peek();
            if (now - then >= Stopwatch.Frequency)
            {
                // Per thread: a JIT thread that exited takes its time along, one that started counts from zero.
                var used = jit.Sum(t => t.Value - old.GetValueOrDefault(t.Key));
                if (used / 1e9 / ((now - then) / (double)Stopwatch.Frequency) < QuietJitCores) return true;
            }
            if (now >= deadline) return false;
            Thread.Sleep(Poll);
        }
    }

    /// <summary>True once other processes used less than <see cref="QuietOtherCores"/> over a second; false when <paramref name="deadline"/> came first.</summary>
    private static bool WaitForQuietMachine(CpuMeter meter, long deadline)
    {
        var before = meter.Sample();
        while (true)
        {
            Thread.Sleep(TimeSpan.FromSeconds(1));
            var after = meter.Sample();
            var seconds = (after.Timestamp - before.Timestamp) / (double)Stopwatch.Frequency;
            if (meter.Between(before, after, seconds).OtherSeconds / seconds < QuietOtherCores) return true;
            if (after.Timestamp >= deadline) return false;
            before = after;
        }
    }

    private static long Ticks(TimeSpan time) => (long)(time.TotalSeconds * Stopwatch.Frequency);

    /// <summary>Sleeps to within a millisecond of <paramref name="timestamp"/>, then yields until it passes.</summary>
    private static void SleepUntil(long timestamp)
    {
        while (true)
        {
            var left = (timestamp - Stopwatch.GetTimestamp()) * 1000.0 / Stopwatch.Frequency;
            if (left <= 0) return;
            if (left > 2) Thread.Sleep((int)(left - 1));
            else Thread.Yield();
        }
    }
}
