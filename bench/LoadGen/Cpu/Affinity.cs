using System.Numerics;
using System.Runtime.InteropServices;

namespace SessionGrains.Bench.LoadGen.Cpu;

/// <summary>
/// CPU affinity of every thread of a process. On Linux, <c>sched_setaffinity(pid)</c> (and so .NET's
/// <c>Process.ProcessorAffinity</c> setter) changes one thread only, the one whose id is the pid; threads that
/// already run keep their mask and new threads inherit their creator's. So each thread in <c>/proc/PID/task</c>
/// is set, until a pass finds none it had not set.
/// </summary>
public static partial class Affinity
{
    /// <summary>The CPUs this process was allowed to run on when it started (a bit per CPU, at most 64).</summary>
    public static ulong Initial { get; } = ReadOwn();

    /// <summary>Sets the mask of every thread of <paramref name="pid"/>; returns how many threads were set.</summary>
    public static int Set(int pid, ulong mask)
    {
        var done = new HashSet<int>();
        for (var pass = 0; pass < 10; pass++)
        {
            var fresh = (ProcFs.Threads(pid) ?? []).Where(tid => !done.Contains(tid)).ToList();
            if (fresh.Count == 0) break;
            foreach (var tid in fresh)
            {
                var value = mask;
                // A thread that exited meanwhile fails with ESRCH: nothing to set. Allowed() shows what took effect.
                _ = SchedSetAffinity(tid, sizeof(ulong), ref value);
                done.Add(tid);
            }
        }
        return done.Count;
    }

    /// <summary>Distinct <c>Cpus_allowed_list</c> values over the threads of <paramref name="pid"/> (one value when all agree).</summary>
    public static IReadOnlyList<string> Allowed(int pid) =>
        (ProcFs.Threads(pid) ?? []).Select(tid => ProcFs.AllowedCpus(pid, tid)).OfType<string>().Distinct().Order(StringComparer.Ordinal).ToList();

    /// <summary>Threads of <paramref name="pid"/>.</summary>
    public static int ThreadCount(int pid) => ProcFs.Threads(pid)?.Length ?? 0;

    /// <summary>The mask as a CPU list, e.g. "1" or "0-1" or "0,2".</summary>
    public static string Describe(ulong mask)
    {
        var cpus = Enumerable.Range(0, 64).Where(cpu => (mask & (1UL << cpu)) != 0).ToList();
        var parts = new List<string>();
        for (var i = 0; i < cpus.Count;)
        {
            var j = i;
            while (j + 1 < cpus.Count && cpus[j + 1] == cpus[j] + 1) j++;
            parts.Add(j == i ? $"{cpus[i]}" : $"{cpus[i]}-{cpus[j]}");
            i = j + 1;
        }
        return string.Join(',', parts);
    }

    /// <summary>The highest CPU of <paramref name="mask"/>.</summary>
    public static int Last(ulong mask) => 63 - BitOperations.LeadingZeroCount(mask);

    private static ulong ReadOwn()
    {
        if (!OperatingSystem.IsLinux()) return 0;
        ulong mask = 0;
        return SchedGetAffinity(0, sizeof(ulong), ref mask) == 0 ? mask : 0;
    }

    [LibraryImport("libc", EntryPoint = "sched_setaffinity", SetLastError = true)]
    private static partial int SchedSetAffinity(int pid, nint size, ref ulong mask);

    [LibraryImport("libc", EntryPoint = "sched_getaffinity", SetLastError = true)]
    private static partial int SchedGetAffinity(int pid, nint size, ref ulong mask);
}
