using System.Globalization;
using System.Text;

namespace SessionGrains.Bench.Memory;

/// <summary>One checkpoint of the memory benchmark.</summary>
internal sealed record MemoryRow(long Sessions, long Active, long Failed, long HeapBytes, long WorkingSetBytes,
    double HeapBytesPerSession, double WorkingSetBytesPerSession, int PayloadManagedBytes, int PayloadUtf8Bytes, double CreatedPerSecond, double IdleCpuMsPerSecond)
{
    public static string Markdown(IReadOnlyList<MemoryRow> rows, string storage, int writes)
    {
        var text = new StringBuilder();
        text.AppendLine(string.Create(CultureInfo.InvariantCulture,
            $"Storage: {(storage == "sqlite" ? "SQLite (the real standalone configuration)" : "null (writes discarded)")}. Payload per session: one key, {rows.FirstOrDefault()?.PayloadUtf8Bytes} bytes of UTF-8, {rows.FirstOrDefault()?.PayloadManagedBytes} bytes as .NET strings (subtracted below).{(writes > 0 ? $" Each session was written {writes} times after its creation." : "")} Taken {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC."));
        text.AppendLine();
        text.AppendLine("| sessions measured | active activations | GC heap after full GC | heap / session | heap / session beyond data | working set | working set / session | sessions created / s | idle CPU, ms per s |");
        text.AppendLine("|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
        foreach (var row in rows)
        {
            text.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {row.Sessions:N0} | {row.Active:N0} | {row.HeapBytes / 1048576.0:N0} MiB | {row.HeapBytesPerSession:N0} B | **{row.HeapBytesPerSession - row.PayloadManagedBytes:N0} B** | {row.WorkingSetBytes / 1048576.0:N0} MiB | {row.WorkingSetBytesPerSession:N0} B | {row.CreatedPerSecond:N0} | {row.IdleCpuMsPerSecond:N1} |"));
        }
        return text.ToString();
    }
}
