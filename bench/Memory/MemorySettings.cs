using System.Globalization;

namespace SessionGrains.Bench.Memory;

/// <summary>What the memory benchmark does; parsed from the command line (see <see cref="Usage"/>).</summary>
public sealed class MemorySettings
{
    public const string Usage = """
        Memory per active idle session: one silo in this process (the real silo configuration, AddSessionSilo),
        sessions created through ISessionGrain.Create with a small payload, heap and working set measured after a full GC.

        dotnet SessionGrains.Bench.Memory.dll [options]
          --sessions N,M,...   checkpoints: measure after N sessions, then after M in all (default 100000,1000000)
          --quick              10,000 sessions only
          --storage S          sqlite (default: the real standalone storage) or null (discards writes: activation cost only)
          --writes N           after creating a session, write its key N times (same size): shows what history costs
          --concurrency N      Create calls in flight (default 512)
          --settle S           seconds idle before each measurement (default 65): the shared ArrayPool gives back
                               buffers unused for 60 s at the next full GC, so they are not counted as sessions
          --idle S             seconds of idle CPU measured at each checkpoint, after the heap (default 10): what the
                               silo spends per second on sessions nobody calls
          --heap-stats         at the first checkpoint, dump the heap and list what the new objects are, by type (ClrMD)
          --root DIR           repository root (default: found above this program)
          --out DIR            memory.json and memory.md go here (default bench/results)
          --docs               also rewrite the memory section of docs/BENCHMARKS.md
        """;

    public IReadOnlyList<int> Checkpoints { get; private set; } = [100_000, 1_000_000];

    public string Storage { get; private set; } = "sqlite";

    public int Concurrency { get; private set; } = 512;

    public int Writes { get; private set; }

    public bool HeapStats { get; private set; }

    public TimeSpan Settle { get; private set; } = TimeSpan.FromSeconds(65);

    public TimeSpan Idle { get; private set; } = TimeSpan.FromSeconds(10);

    public bool WriteDocs { get; private set; }

    public string Root { get; private set; } = FindRoot();

    public string? OutputDirectory { get; private set; }

    public string Output => OutputDirectory ?? Path.Combine(Root, "bench", "results");

    /// <summary>Sessions created (and measured as the zero point) before the first checkpoint: JIT, pools and caches warm.</summary>
    public int WarmupSessions { get; private set; } = 5_000;

    public static MemorySettings Parse(string[] args)
    {
        var settings = new MemorySettings();
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{arg} needs a value");
            switch (arg)
            {
                case "--sessions":
                    settings.Checkpoints = Next().Split(',').Select(s => int.Parse(s.Replace("_", ""), NumberStyles.None, CultureInfo.InvariantCulture)).Order().ToList();
                    break;
                case "--quick":
                    settings.Checkpoints = [10_000];
                    settings.WarmupSessions = 1_000;
                    settings.Settle = TimeSpan.FromSeconds(3);
                    settings.Idle = TimeSpan.FromSeconds(2);
                    break;
                case "--storage":
                    settings.Storage = Next() is "sqlite" or "null" ? args[i] : throw new ArgumentException("--storage takes sqlite or null");
                    break;
                case "--writes": settings.Writes = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--concurrency": settings.Concurrency = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--heap-stats": settings.HeapStats = true; break;
                case "--settle": settings.Settle = TimeSpan.FromSeconds(double.Parse(Next(), CultureInfo.InvariantCulture)); break;
                case "--idle": settings.Idle = TimeSpan.FromSeconds(double.Parse(Next(), CultureInfo.InvariantCulture)); break;
                case "--docs": settings.WriteDocs = true; break;
                case "--root": settings.Root = Path.GetFullPath(Next()); break;
                case "--out": settings.OutputDirectory = Path.GetFullPath(Next()); break;
                default: throw new ArgumentException($"unknown argument '{arg}'");
            }
        }
        return settings;
    }

    private static string FindRoot()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "SessionGrains.sln"))) return dir.FullName;
            }
        }
        return Environment.CurrentDirectory;
    }
}
