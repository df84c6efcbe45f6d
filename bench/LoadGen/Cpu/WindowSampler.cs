using System.Diagnostics;

namespace SessionGrains.Bench.LoadGen.Cpu;

/// <summary>
/// Samples a <see cref="CpuMeter"/> right when a measured window opens and right when it closes, on a thread of
/// its own so that a thread pool busy with load cannot delay it.
/// </summary>
public static class WindowSampler
{
    /// <param name="from">Stopwatch timestamp at which the window opens.</param>
    /// <param name="to">Stopwatch timestamp at which it closes.</param>
    public static Task<CpuWindow> Start(CpuMeter meter, long from, long to)
    {
        var result = new TaskCompletionSource<CpuWindow>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                SleepUntil(from);
                var before = meter.Sample();
                SleepUntil(to);
                var after = meter.Sample();
                result.SetResult(meter.Between(before, after, (to - from) / (double)Stopwatch.Frequency));
            }
            catch (Exception ex)
            {
                result.SetException(ex);
            }
        })
        {
            IsBackground = true,
            Name = "cpu-sampler",
        };
        thread.Start();
        return result.Task;
    }

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
