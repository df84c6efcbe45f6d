using System.Globalization;

namespace SessionGrains.Bench.LoadGen.Storage;

/// <summary>
/// A process's I/O counters from <c>/proc/PID/io</c>: <see cref="WriteBytes"/> (<c>write_bytes</c>: bytes of page
/// cache it dirtied that go to the block device, counted a page at a time; nothing on tmpfs) and
/// <see cref="WriteCallBytes"/> (<c>wchar</c>: bytes it passed to write() and pwrite(), to files, pipes and any
/// socket written that way). Children it waited for are included.
/// </summary>
public sealed record ProcIo(long WriteBytes, long WriteCallBytes)
{
    /// <summary>The counters now; throws when the process is gone (a storage that vanished mid-run is no figure).</summary>
    public static ProcIo Read(int pid)
    {
        var fields = File.ReadAllLines($"/proc/{pid}/io")
            .Select(line => line.Split(':', 2))
            .Where(parts => parts.Length == 2)
            .ToDictionary(parts => parts[0], parts => long.Parse(parts[1].Trim(), NumberStyles.None, CultureInfo.InvariantCulture));
        return new ProcIo(fields["write_bytes"], fields["wchar"]);
    }
}
