using System.Globalization;
using System.Runtime.InteropServices;

namespace SessionGrains.Bench.LoadGen.Cpu;

/// <summary>
/// The Linux /proc files CPU time is read from: <c>/proc/PID/stat</c> (utime, stime, cutime, cstime in clock
/// ticks), <c>/proc/PID/task/TID/schedstat</c> (a thread's time on CPU in nanoseconds), the children of a process
/// and the machine's counters in <c>/proc/stat</c>. Every reader returns null or skips what vanished meanwhile.
/// </summary>
public static partial class ProcFs
{
    private const int ScClockTicks = 2; // _SC_CLK_TCK on Linux

    /// <summary>Clock ticks a second of the tick-based counters (<c>getconf CLK_TCK</c>; 100 on Linux).</summary>
    public static long ClockTicks { get; } = OperatingSystem.IsLinux() && Sysconf(ScClockTicks) is var ticks and > 0 ? ticks : 100;

    /// <summary>utime + stime (the process's own threads, exited ones included) and cutime + cstime (children it waited for), in ticks.</summary>
    public readonly record struct StatTimes(long Own, long Children);

    public static StatTimes? Stat(int pid)
    {
        var fields = StatFields($"/proc/{pid}/stat");
        // After "pid (comm) ": [0] state, [1] ppid, ... [11] utime, [12] stime, [13] cutime, [14] cstime (fields 14-17 of proc(5)).
        return fields is null || fields.Length < 15
            ? null
            : new StatTimes(Long(fields[11]) + Long(fields[12]), Long(fields[13]) + Long(fields[14]));
    }

    /// <summary>
    /// Each live thread's time on CPU so far (first field of its schedstat, nanoseconds) and whether it is the
    /// runtime's background JIT compiler (<see cref="IsJit"/>), by thread id; null when the process is gone.
    /// </summary>
    public static Dictionary<int, ThreadTime>? ThreadRuntimes(int pid, bool onlyJit = false)
    {
        var threads = new Dictionary<int, ThreadTime>();
        foreach (var tid in Threads(pid) ?? [])
        {
            var jit = IsJit(ReadOrNull($"/proc/{pid}/task/{tid}/comm"));
            if (onlyJit && !jit) continue;
            var text = ReadOrNull($"/proc/{pid}/task/{tid}/schedstat");
            var end = text?.IndexOf(' ') ?? -1;
            if (text is not null && end > 0) threads[tid] = new ThreadTime(Long(text[..end]), jit);
        }
        return Directory.Exists($"/proc/{pid}") ? threads : null;
    }

    /// <summary>One thread's time on CPU in nanoseconds, and whether it is the background JIT compiler.</summary>
    public readonly record struct ThreadTime(long Nanoseconds, bool Jit);

    /// <summary>
    /// .NET's tiered compilation worker (thread name ".NET Tiered Compilation Worker", cut to 15 characters in
    /// <c>comm</c>): it recompiles hot methods in the background, and while it runs a process is not warm.
    /// </summary>
    public static bool IsJit(string? comm) => comm is not null && comm.StartsWith(".NET Tiered", StringComparison.Ordinal);

    /// <summary>Thread ids of a process, or null when it is gone.</summary>
    public static int[]? Threads(int pid)
    {
        try
        {
            return Directory.GetDirectories($"/proc/{pid}/task")
                .Select(path => int.TryParse(Path.GetFileName(path), NumberStyles.None, CultureInfo.InvariantCulture, out var tid) ? tid : 0)
                .Where(tid => tid > 0).ToArray();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Live children of a process (of any of its threads), from <c>/proc/PID/task/TID/children</c>.</summary>
    public static IEnumerable<int> Children(int pid) =>
        (Threads(pid) ?? [])
            .SelectMany(tid => (ReadOrNull($"/proc/{pid}/task/{tid}/children") ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Select(Long).Select(n => (int)n).Where(child => child > 0).Distinct();

    /// <summary>Ticks all CPUs of the machine spent busy (user, nice, system, irq, softirq, steal), from the first line of /proc/stat.</summary>
    public static long MachineBusyTicks()
    {
        var line = ReadOrNull("/proc/stat")?.Split('\n', 2)[0];
        if (line is null || !line.StartsWith("cpu ", StringComparison.Ordinal)) return 0;
        var f = line[4..].Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(Long).ToArray();
        // user nice system idle iowait irq softirq steal guest guest_nice; guest time is already inside user.
        return f.Length < 8 ? 0 : f[0] + f[1] + f[2] + f[5] + f[6] + f[7];
    }

    /// <summary>The <c>Cpus_allowed_list</c> of one thread (e.g. "0-1"), or null when it is gone.</summary>
    public static string? AllowedCpus(int pid, int tid) =>
        ReadOrNull($"/proc/{pid}/task/{tid}/status")?.Split('\n')
            .FirstOrDefault(line => line.StartsWith("Cpus_allowed_list:", StringComparison.Ordinal))?["Cpus_allowed_list:".Length..].Trim();

    /// <summary>The command line of a process with its arguments joined by spaces ("" when gone).</summary>
    public static string CommandLine(int pid) => (ReadOrNull($"/proc/{pid}/cmdline") ?? "").Replace('\0', ' ').Trim();

    private static string[]? StatFields(string path)
    {
        var text = ReadOrNull(path);
        // The command name is in parentheses and may hold spaces or parentheses itself: split after the last ')'.
        var close = text?.LastIndexOf(')') ?? -1;
        return close < 0 ? null : text![(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
    }

    private static string? ReadOrNull(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static long Long(string text) => long.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 0;

    [LibraryImport("libc", EntryPoint = "sysconf")]
    private static partial long Sysconf(int name);
}
