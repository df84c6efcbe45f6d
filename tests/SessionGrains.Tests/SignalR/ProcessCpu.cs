namespace SessionGrains.Tests.SignalR;

/// <summary>CPU time (user + system) a set of processes has used, from <c>/proc/PID/stat</c> in clock ticks (100 per second on Linux).</summary>
public static class ProcessCpu
{
    private const double TicksPerSecond = 100;

    public static TimeSpan Of(IEnumerable<int> pids) => TimeSpan.FromSeconds(pids.Sum(Ticks) / TicksPerSecond);

    private static long Ticks(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        // The command name (field 2) is in parentheses and may hold spaces: fields are counted after its closing one.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(fields[11]) + long.Parse(fields[12]);
    }
}
