namespace SessionGrains.Bench.LoadGen.Cpu;

/// <summary>
/// The CPU time one process had used at one moment, read two ways: the tick counters of <c>/proc/PID/stat</c>
/// and the nanosecond runtime of each live thread. <see cref="LiveChildTicks"/> is what its children still
/// running had used (a redis-server fork rewriting the AOF); children it already waited for are in
/// <see cref="ProcFs.StatTimes.Children"/>.
/// </summary>
public sealed record ProcessSample(ProcFs.StatTimes Stat, IReadOnlyDictionary<int, ProcFs.ThreadTime> Threads, long LiveChildTicks)
{
    /// <summary>Null when the process is gone. <paramref name="withChildren"/> false leaves children out (the load generator's children are the targets).</summary>
    public static ProcessSample? Take(int pid, bool withChildren = true)
    {
        var threads = ProcFs.ThreadRuntimes(pid);
        var stat = ProcFs.Stat(pid);
        if (threads is null || stat is not { } times) return null;
        var live = 0L;
        if (withChildren)
        {
            foreach (var child in ProcFs.Children(pid))
            {
                if (ProcFs.Stat(child) is { } c) live += c.Own + c.Children;
            }
        }
        else
        {
            times = times with { Children = 0 };
        }
        return new ProcessSample(times, threads, live);
    }
}
