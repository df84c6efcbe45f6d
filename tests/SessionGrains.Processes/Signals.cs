using System.Runtime.InteropServices;

namespace SessionGrains.Processes;

/// <summary>POSIX signals to a process by id (Linux numbering).</summary>
public static partial class Signals
{
    public const int Term = 15;

    /// <summary>Freezes the process: its sockets stay open but nothing answers, like a hung or overloaded host.</summary>
    public const int Stop = 19;

    public const int Cont = 18;

    public static void Send(int pid, int signal)
    {
        if (Kill(pid, signal) != 0) throw new InvalidOperationException($"kill({pid}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
