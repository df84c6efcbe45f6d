using Microsoft.Diagnostics.NETCore.Client;
using Microsoft.Diagnostics.Runtime;

namespace SessionGrains.Bench.Memory;

/// <summary>
/// Objects on the managed heap by type, from a heap dump of this very process (written by the runtime through its
/// diagnostics port, read with ClrMD). Two censuses subtracted say what N new sessions consist of. Objects of generic
/// types (strings, arrays, boxes, delegates) are also counted by the type of the object that holds them, so that a
/// string can be told apart as a session id, a key or a value.
/// </summary>
public sealed class HeapCensus
{
    private static readonly HashSet<string> SharedTypes = new(StringComparer.Ordinal)
    {
        "System.String", "System.Byte[]", "System.Int32[]", "System.Object", "System.Object[]", "System.Action",
        "System.Threading.Lock", "System.Threading.Tasks.Task[]",
    };

    private HeapCensus(Dictionary<string, (long Count, long Bytes)> types, Dictionary<string, (long Count, long Bytes)> held)
    {
        Types = types;
        Held = held;
    }

    public IReadOnlyDictionary<string, (long Count, long Bytes)> Types { get; }

    /// <summary>"child ← holder" for objects of <see cref="SharedTypes"/>, each counted once, under its first holder found.</summary>
    public IReadOnlyDictionary<string, (long Count, long Bytes)> Held { get; }

    public static HeapCensus TakeOfThisProcess()
    {
        var path = Path.Combine(Path.GetTempPath(), $"sg-bench-memory-{Environment.ProcessId}-{Guid.NewGuid():N}.dmp");
        try
        {
            new DiagnosticsClient(Environment.ProcessId).WriteDump(DumpType.WithHeap, path, logDumpGeneration: false);
            using var target = DataTarget.LoadDump(path);
            // The DAC of the runtime that wrote the dump (this one) sits beside it.
            var dac = Path.Combine(System.Runtime.InteropServices.RuntimeEnvironment.GetRuntimeDirectory(), "libmscordaccore.so");
            using var runtime = File.Exists(dac) ? target.ClrVersions[0].CreateRuntime(dac, ignoreMismatch: true) : target.ClrVersions[0].CreateRuntime();
            var types = new Dictionary<string, (long Count, long Bytes)>(StringComparer.Ordinal);
            var held = new Dictionary<string, (long Count, long Bytes)>(StringComparer.Ordinal);
            var seen = new HashSet<ulong>();
            foreach (var obj in runtime.Heap.EnumerateObjects())
            {
                if (!obj.IsValid || obj.IsFree) continue;
                var name = obj.Type?.Name ?? "<unknown>";
                Add(types, name, (long)obj.Size);
                foreach (var child in obj.EnumerateReferences())
                {
                    if (!child.IsValid || child.Type?.Name is not { } childName || !SharedTypes.Contains(childName) || !seen.Add(child.Address)) continue;
                    Add(held, $"{childName} ← {Shorten(name)}", (long)child.Size);
                }
            }
            return new HeapCensus(types, held);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static void Add(Dictionary<string, (long Count, long Bytes)> table, string key, long bytes)
    {
        var (count, total) = table.GetValueOrDefault(key);
        table[key] = (count + 1, total + bytes);
    }

    private static string Shorten(string type) => type.Length > 110 ? type[..110] + "…" : type;

    /// <summary>Types whose bytes grew from <paramref name="before"/> to this census, largest growth first.</summary>
    public IReadOnlyList<(string Type, long Count, long Bytes)> GrowthSince(HeapCensus before) => Growth(Types, before.Types);

    /// <summary>Held objects of generic types whose bytes grew, by holder, largest growth first.</summary>
    public IReadOnlyList<(string Type, long Count, long Bytes)> HeldGrowthSince(HeapCensus before) => Growth(Held, before.Held);

    private static List<(string Type, long Count, long Bytes)> Growth(
        IReadOnlyDictionary<string, (long Count, long Bytes)> now, IReadOnlyDictionary<string, (long Count, long Bytes)> before) =>
        now.Select(t =>
            {
                var (count, bytes) = before.GetValueOrDefault(t.Key);
                return (Type: t.Key, Count: t.Value.Count - count, Bytes: t.Value.Bytes - bytes);
            })
            .Where(t => t.Bytes > 0)
            .OrderByDescending(t => t.Bytes)
            .ToList();
}
