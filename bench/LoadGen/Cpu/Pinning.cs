namespace SessionGrains.Bench.LoadGen.Cpu;

/// <summary>
/// The load generator on a CPU of its own (every thread of this process), while the systems under test float
/// over all CPUs. Children inherit the mask of the thread that starts them, and .NET sizes its GC heaps and
/// thread pool from the mask a process starts with, so targets are started while the load generator is
/// unpinned (<see cref="Unpinned"/>) and pinned again before any load.
/// </summary>
public sealed class Pinning
{
    private Pinning(int cpu)
    {
        Cpu = cpu;
        Mask = 1UL << cpu;
    }

    public int Cpu { get; }

    public ulong Mask { get; }

    /// <summary>Pins every thread of this process to <paramref name="cpu"/>; null when the machine has a single CPU to offer.</summary>
    public static Pinning? Pin(int cpu)
    {
        if (!OperatingSystem.IsLinux() || (Affinity.Initial & (1UL << cpu)) == 0 || Affinity.Initial == 1UL << cpu) return null;
        var pinning = new Pinning(cpu);
        pinning.Apply();
        return pinning;
    }

    /// <summary>The CPU to pin to by default: the last one this process may use (CPU 1 on two cores).</summary>
    public static int DefaultCpu => Affinity.Last(Affinity.Initial);

    public void Apply() => Affinity.Set(Environment.ProcessId, Mask);

    /// <summary>Every thread back on all CPUs until disposed, then pinned again.</summary>
    public IDisposable Unpinned()
    {
        Affinity.Set(Environment.ProcessId, Affinity.Initial);
        return new Repin(this);
    }

    /// <summary>What the threads of this process are allowed, for the log: "CPU 1 (all 27 threads)".</summary>
    public string Describe()
    {
        var allowed = Affinity.Allowed(Environment.ProcessId);
        var threads = Affinity.ThreadCount(Environment.ProcessId);
        return allowed.Count == 1 ? $"CPU {allowed[0]} (all {threads} threads)" : $"CPUs {string.Join(" / ", allowed)} (mixed over {threads} threads: pinning failed)";
    }

    /// <summary>
    /// Says where the system under test may run, without changing it: the mask each process started with (that of
    /// its main thread, which must be every CPU the load generator started with) and how many threads have which
    /// mask. The runtime pins some threads itself (the server GC's heap threads, one per CPU); that is left alone.
    /// </summary>
    public static string Float(IReadOnlyList<SutProcess> processes)
    {
        var all = Affinity.Describe(Affinity.Initial);
        var narrow = processes.Where(p => ProcFs.AllowedCpus(p.Pid, p.Pid) is { } main && main != all).Select(p => p.Name).ToList();
        var masks = processes
            .SelectMany(p => (ProcFs.Threads(p.Pid) ?? []).Select(tid => ProcFs.AllowedCpus(p.Pid, tid)).OfType<string>())
            .GroupBy(mask => mask).OrderByDescending(g => g.Count())
            .Select(g => $"{g.Count()} on CPU{(g.Key.Length > 1 ? "s" : "")} {g.Key}");
        var warning = narrow.Count == 0 ? "" : $"; WARNING: {string.Join(", ", narrow)} started on fewer CPUs than {all}";
        return $"started on CPUs {all}, threads: {string.Join(", ", masks)}{warning}";
    }

    private sealed class Repin(Pinning pinning) : IDisposable
    {
        public void Dispose() => pinning.Apply();
    }
}
