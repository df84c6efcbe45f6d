using System.Diagnostics;
using SessionGrains.Bench.LoadGen.Cpu;

namespace SessionGrains.Bench.LoadGen.Load;

/// <summary>
/// Closed-loop load, as wrk or bombardier make it: each worker (one connection) sends its next request when the
/// previous one answered. Requests that complete during the warm-up are not counted; those that complete in the
/// measured window count towards throughput and their latency goes into an HdrHistogram. The
/// <see cref="WindowController"/> decides when the warm-up ends (at least <c>warmup</c>, and with a
/// <see cref="CpuMeter"/> until the processes under test stopped compiling, at most <c>warmupMax</c>) and reads
/// the meter right when the window opens and right when it closes.
/// </summary>
public static class ClosedLoop
{
    /// <summary>One request of worker <c>w</c>, its <c>n</c>-th; true when it succeeded.</summary>
    public delegate Task<bool> Operation(int worker, long n, CancellationToken cancellationToken);

    /// <param name="acknowledged">Successful operations over the whole run, warm-up included (for lost-update accounting).</param>
    /// <param name="cpu">Measures the CPU time of the window and tells when the processes are warm, when given.</param>
    /// <param name="warmupMax">Longest warm-up while the processes under test still compile (default: <paramref name="warmup"/>, fixed).</param>
    /// <param name="window">The window to open, for a caller that counts events in it too (default: a new one).</param>
    /// <param name="quietMax">Longest wait, after the warm-up, for other processes to leave the machine quiet (default: none).</param>
    public static async Task<LoadResult> Run(int workers, TimeSpan warmup, TimeSpan duration, Operation operation, CancellationToken cancellationToken,
        long[]? acknowledged = null, CpuMeter? cpu = null, TimeSpan? warmupMax = null, MeasureWindow? window = null, TimeSpan quietMax = default)
    {
        window ??= new MeasureWindow();
        var histograms = new HdrHistogram.LongHistogram[workers];
        var operations = new long[workers];
        var errors = new long[workers];
        var controller = WindowController.Start(window, Stopwatch.GetTimestamp(), warmup, warmupMax ?? warmup, duration, cpu, quietMax);

        var tasks = Enumerable.Range(0, workers).Select(w => Task.Run(async () =>
        {
            var histogram = histograms[w] = LoadResult.NewHistogram();
            for (long n = 0; ; n++)
            {
                var begin = Stopwatch.GetTimestamp();
                if (begin >= window.To || cancellationToken.IsCancellationRequested) break;
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
                if (!window.Contains(end)) continue;
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
        var outcome = await controller;
        return new LoadResult(operations.Sum(), errors.Sum(), duration.TotalSeconds, total)
        {
            Cpu = outcome.Cpu,
            WarmupSeconds = outcome.WarmupSeconds,
            WarmupSettled = outcome.Settled,
            QuietMachine = outcome.QuietMachine,
        };
    }
}
