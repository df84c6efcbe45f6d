namespace SessionGrains.Bench.LoadGen.Cpu;

/// <summary>Everything read at one moment (<see cref="Timestamp"/>, the middle of the reading): each process of the system under test by pid, the load generator and the machine.</summary>
public sealed record CpuSample(long Timestamp, IReadOnlyDictionary<int, ProcessSample?> Processes, ProcessSample? LoadGenerator, long MachineBusyTicks);
