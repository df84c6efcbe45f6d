namespace SessionGrains.Bench.LoadGen.Cpu;

/// <summary>
/// CPU time one process used in a measured window, in seconds, scaled to the window's length.
/// <paramref name="Seconds"/> is the figure reported; <paramref name="StatSeconds"/> the same from the tick
/// counters alone, kept as a cross-check. <paramref name="Method"/> says which source <see cref="Seconds"/> came from:
/// <c>schedstat</c> (per-thread nanoseconds, plus children in ticks), <c>stat</c> (ticks: a thread of the window
/// start had exited, or the thread sum missed more than the ticks' rounding) or <c>gone</c> (the process died; NaN).
/// <paramref name="JitSeconds"/> is the part the runtime's background JIT compiler used (a lower bound).
/// </summary>
public sealed record ProcessCpuTime(string Name, string Role, int Pid, double Seconds, double StatSeconds, string Method, double JitSeconds);
