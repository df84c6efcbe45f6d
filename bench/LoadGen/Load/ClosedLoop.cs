using System.Diagnostics;
using SessionGrains.Bench.LoadGen.Cpu;

namespace SessionGrains.Bench.LoadGen.Load;

/// <summary>
/// Closed-loop load, as wrk or bombardier make it: each worker (one connection) sends its next request when the
/// previous one answered. Requests that complete during the warm-up are not counted; those that complete in the
/// measured window count towards throughput and their latency goes into an HdrHistogram. With a
/// <see cref="CpuMeter"/>, CPU time is sampled right when the window opens and right when it closes.
/// </summary>
public static class ClosedLoop
{
    /// <summary>One request of worker <c>w</c>, its <c>n</c>-th; true when it succeeded.</summary>
    public delegate Task<bool> Operation(int worker, long n, CancellationToken cancellationToken);

    /// <param name="acknowledged">Successful operations over the whole run, warm-up included (for lost-update accounting).</param>
    /// <param name="cpu">Measures the CPU time of the window, when given.</param>
    /// <param name="start">Stopwatch timestamp the warm-up started at (default: now), for a caller that keeps its own window.</param>
    public static async Task<LoadResult> Run(int workers, TimeSpan warmup, TimeSpan duration, Operation operation, CancellationToken cancellationToken,
        long[]? acknowledged = null, CpuMeter? cpu = null, long? start = null)
    {
        var warmupStart = start ?? Stopwatch.GetTimestamp();
        var measureFrom = warmupStart + (long)(warmup.TotalSeconds * Stopwatch.Frequency);
        var measureTo = measureFrom + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var histograms = new HdrHistogram.LongHistogram[workers];
        var operations = new long[workers];
        var errors = new long[workers];
        var cpuWindow = cpu is null ? null : WindowSampler.Start(cpu, measureFrom, measureTo);

        var tasks = Enumerable.Range(0, workers).Select(w => Task.Run(async () =>
        {
            var histogram = histograms[w] = LoadResult.NewHistogram();
            for (long n = 0; ; n++)
            {
                var begin = Stopwatch.GetTimestamp();
                if (begin >= measureTo || cancellationToken.IsCancellationRequested) break;
                bool ok;
                try
                {
                    ok = await operation(w, n, cancellationToken);
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException && !cancellationToken.IsCancellationRequested)
                {
                    ok = false;
                }
                var end = Stopwatch.GetTimestamp();
                if (ok && acknowledged is not null) acknowledged[w]++;
                if (end < measureFrom || end >= measureTo) continue;
                if (ok)
                {
                    operations[w]++;
                    histogram.RecordValue(Math.Max(1, (end - begin) * 1_000_000 / Stopwatch.Frequency));
                }
                else
                {
                    errors[w]++;
                    // A failing target must not turn the loop into a busy spin that starves it of CPU.
                    await Task.Delay(5, CancellationToken.None);
                }
            }
        }, CancellationToken.None)).ToArray();
        await Task.WhenAll(tasks);
        cancellationToken.ThrowIfCancellationRequested();

        var total = LoadResult.NewHistogram();
        foreach (var histogram in histograms) total.Add(histogram);
        return new LoadResult(operations.Sum(), errors.Sum(), duration.TotalSeconds, total) { Cpu = cpuWindow is null ? null : await cpuWindow };
    }
}
