using System.Diagnostics;
using SessionGrains.Bench.LoadGen.Cpu;
using SessionGrains.Bench.LoadGen.Storage;

namespace SessionGrains.Bench.LoadGen.Load;

/// <summary>
/// Closed-loop load, as wrk or bombardier make it: each worker (one connection) sends its next request when the
/// previous one answered. Requests that complete during the warm-up are not counted; those that complete in the
/// measured window count towards throughput and their latency goes into an HdrHistogram. The
/// <see cref="WindowController"/> decides when the warm-up ends (at least <c>warmup</c>, and with a
/// <see cref="CpuMeter"/> until the processes under test stopped compiling, at most <c>warmupMax</c>) and reads
/// the meter right when the window opens and right when it closes. Successful operations are also counted over
/// the whole run, warm-up included (<see cref="LoadResult.Acknowledged"/>), and a <see cref="StorageMeter"/> is
/// read right before the first request and right after the last answer, for the storage's cost per acknowledged operation.
/// </summary>
public static class ClosedLoop
{
    /// <summary>One request of worker <c>w</c>, its <c>n</c>-th; true when it succeeded.</summary>
    public delegate Task<bool> Operation(int worker, long n, CancellationToken cancellationToken);

    /// <param name="cpu">Measures the CPU time of the window and tells when the processes are warm, when given.</param>
    /// <param name="warmupMax">Longest warm-up while the processes under test still compile (default: <paramref name="warmup"/>, fixed).</param>
    /// <param name="window">The window to open, for a caller that counts events in it too (default: a new one).</param>
    /// <param name="quietMax">Longest wait, after the warm-up, for other processes to leave the machine quiet (default: none).</param>
    /// <param name="storage">The target's storage, read around the whole run when given.</param>
    public static async Task<LoadResult> Run(int workers, TimeSpan warmup, TimeSpan duration, Operation operation, CancellationToken cancellationToken,
        CpuMeter? cpu = null, TimeSpan? warmupMax = null, MeasureWindow? window = null, TimeSpan quietMax = default, StorageMeter? storage = null)
    {
        window ??= new MeasureWindow();
        var histograms = new HdrHistogram.LongHistogram[workers];
        var operations = new long[workers];
        var errors = new long[workers];
        var acknowledged = new long[workers];
        var storageBefore = storage is null ? null : await storage.Sample(cancellationToken);
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
                if (ok) acknowledged[w]++;
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
        var storageAfter = storage is null ? null : await storage.Sample(cancellationToken);

        var total = LoadResult.NewHistogram();
        foreach (var histogram in histograms) total.Add(histogram);
        var outcome = await controller;
        return new LoadResult(operations.Sum(), errors.Sum(), duration.TotalSeconds, total)
        {
            Cpu = outcome.Cpu,
            WarmupSeconds = outcome.WarmupSeconds,
            WarmupSettled = outcome.Settled,
            QuietMachine = outcome.QuietMachine,
            Acknowledged = acknowledged.Sum(),
            Storage = storage?.Cost(storageBefore, storageAfter, acknowledged.Sum()),
        };
    }
}
