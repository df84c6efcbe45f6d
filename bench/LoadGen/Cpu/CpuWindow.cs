namespace SessionGrains.Bench.LoadGen.Cpu;

/// <summary>
/// CPU time used during one measured window: by each process of the system under test, by the load generator
/// itself, and by the whole machine (every CPU busy, whoever ran: the rest is other processes and time the
/// hypervisor took). Every figure is scaled from the sampled interval to the window's length; the two differ by
/// the few milliseconds sampling takes.
/// </summary>
public sealed record CpuWindow(double WindowSeconds, double SampledSeconds, IReadOnlyList<ProcessCpuTime> Processes, ProcessCpuTime LoadGenerator, double MachineBusySeconds)
{
    public double SutSeconds => Processes.Sum(p => p.Seconds);

    /// <summary>CPU the machine spent on neither the system under test nor the load generator: noise.</summary>
    public double OtherSeconds => MachineBusySeconds - SutSeconds - LoadGenerator.Seconds;
}
