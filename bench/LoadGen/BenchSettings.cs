using System.Globalization;

namespace SessionGrains.Bench.LoadGen;

/// <summary>What one run measures and how hard; parsed from the command line (see <see cref="Usage"/>).</summary>
public sealed class BenchSettings
{
    public static readonly string[] AllTargets = ["standalone", "cluster", "cluster-3x2", "cluster-combined", "baseline", "kestrel"];

    private static readonly string[] KnownTargets = [.. AllTargets, "baseline-everysec", "cluster-sentinel", "cluster-sentinel-noacks", "external"];

    public static readonly string[] AllScenarios = ["read", "write", "mix", "increment", "create", "create-write", "fanout"];

    public const string Usage = """
        SessionGrains load generator: every scenario against SessionGrains standalone, SessionGrains cluster (2 silos +
        1 front end, and 3 silos + 2 front ends), the Session-middleware-over-Redis baseline and a bare Kestrel app,
        with the same concurrency; throughput, latency and CPU time per request of every process of the system under
        test, and its storage's work per request (Redis's own counters, /proc/PID/io); tables, a JSON file and two charts.

        dotnet SessionGrains.Bench.LoadGen.dll [--all | --quick] [options]
          --all                 every target and scenario at full length (the default)
          --quick               smoke mode: every target and scenario, 8 connections, 0.3 s warm-up + 1 s each (~1 min)
          --targets a,b         of: standalone, cluster, cluster-3x2, cluster-combined, baseline, kestrel, baseline-everysec,
                                cluster-sentinel, cluster-sentinel-noacks, external
                                (default: the first six; kestrel runs the read scenario only, as GET /ok)
                                cluster-combined: 2 combined nodes (front end + silo in one process) and Redis
                                cluster-sentinel: the cluster target with Redis behind Sentinel (local-cluster.sh --redis
                                sentinel --replicas 2): a write is acknowledged once a replica has it; its CPU counts
                                every Redis process (nodes and sentinels), its storage figures are the primary's.
                                cluster-sentinel-noacks: the same with Storage:MinReplicaAcks=0
          --url URL[,URL...]    the already running SessionGrains front end(s) that target 'external' measures
          --pids ROLE=PID,...   target 'external': the processes whose CPU time counts (e.g. node=123,redis=456)
          --scenarios a,b       of: read, write, mix, increment, create, create-write, fanout (default: all)
          --connections N       concurrent connections per scenario (default 64)
          --warmup S            seconds of warm-up per scenario at least, not measured (default 3)
          --warmup-max S        seconds of warm-up at most: past the minimum, the warm-up goes on until the runtime's
                                background JIT in the processes under test used < 1 % of a core over a second
                                (default 20; quick: no wait past the minimum)
          --duration S          measured seconds per scenario (default 15)
          --wait-quiet S        after the warm-up, wait up to S seconds for a quiet machine (other processes using less
                                than 0.25 cores over a second) before each measured window (default 0: no wait)
          --sockets N           WebSockets of the one session in the fan-out scenario (default 16, the per-session limit)
          --publishers N        concurrent publishers in the fan-out scenario (default 4)
          --silos N             silos of the cluster target (default 2; cluster-3x2 is always 3)
          --frontends N         front ends of the cluster target (default 1; cluster-3x2 is always 2)
          --pin CPU|none        CPU the load generator pins all its threads to (default: the last CPU, 1 on two cores);
                                the systems under test float over all CPUs
          --config C            Release or Debug build of the targets (default: this program's own)
          --root DIR            repository root (default: found above this program)
          --out DIR             results.json, results.md, benchmarks.png and benchmarks-cpu.png go here (default bench/results)
          --cluster-state DIR   state folder for scripts/local-cluster.sh, a subfolder per cluster target (default: temp folders)
          --set KEY=VALUE       extra configuration for SessionGrains' silos and front ends (experiments), e.g.
                                --set Sessions:EventLogLength=16; may be repeated
          --env KEY=VALUE       extra environment variable for SessionGrains' processes (experiments), e.g. DOTNET_gcServer=0
          --render FILE         measure nothing: table and chart again from a results.json
          --docs                also rewrite the results in docs/BENCHMARKS.md and docs/images (both charts)
        """;

    public bool Quick { get; private set; }

    public IReadOnlyList<string> Targets { get; private set; } = AllTargets;

    public IReadOnlyList<string> Scenarios { get; private set; } = AllScenarios;

    public int Connections { get; private set; } = 64;

    public TimeSpan Warmup { get; private set; } = TimeSpan.FromSeconds(3);

    public TimeSpan Duration { get; private set; } = TimeSpan.FromSeconds(15);

    /// <summary>Longest warm-up while the processes under test still compile (never below <see cref="Warmup"/>).</summary>
    public TimeSpan WarmupMax
    {
        get => _warmupMax > Warmup ? _warmupMax : Warmup;
        private set => _warmupMax = value;
    }

    private TimeSpan _warmupMax = TimeSpan.FromSeconds(20);

    /// <summary>Longest wait for other processes to leave the machine quiet before a window (<c>--wait-quiet</c>); zero: none.</summary>
    public TimeSpan WaitQuiet { get; private set; }

    public int Sockets { get; private set; } = 16;

    public int Publishers { get; private set; } = 4;

    public int Silos { get; private set; } = 2;

    public int FrontEnds { get; private set; } = 1;

    /// <summary>CPU the load generator runs on, or null (<c>--pin none</c>) to leave it unpinned.</summary>
    public int? PinCpu { get; private set; } = Cpu.Pinning.DefaultCpu;

    public string Configuration { get; private set; } = OwnConfiguration();

    public string Root { get; private set; } = FindRoot();

    public string? OutputDirectory { get; private set; }

    public string? ClusterState { get; private set; }

    public bool WriteDocs { get; private set; }

    /// <summary>A results.json to render again instead of measuring.</summary>
    public string? RenderFrom { get; private set; }

    /// <summary>Front end of target <c>external</c>.</summary>
    public Uri? ExternalUrl { get; private set; }

    /// <summary>Target 'external': every URL of <c>--url</c> (connections spread round-robin).</summary>
    public IReadOnlyList<Uri> ExternalUrls { get; private set; } = [];

    /// <summary>Target 'external': the processes whose CPU time counts (<c>--pids role=pid,...</c>).</summary>
    public IReadOnlyList<KeyValuePair<string, int>> ExternalPids { get; private set; } = [];

    /// <summary>Extra configuration (key, value) for every SessionGrains process, from <c>--set</c>.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Extra => _extra;

    private readonly List<KeyValuePair<string, string>> _extra = [];

    /// <summary>Extra environment variables for every SessionGrains process, from <c>--env</c>.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Environment => _environment;

    private readonly List<KeyValuePair<string, string>> _environment = [];

    /// <summary>Per-session rate limit given to SessionGrains for the runs: the bench measures throughput, not the limiter.</summary>
    public const int RequestsPerSecond = 1_000_000;

    public string Output => OutputDirectory ?? Path.Combine(Root, "bench", "results");

    public static BenchSettings Parse(string[] args)
    {
        var settings = new BenchSettings();
        bool? quick = null;
        var explicitValues = new HashSet<string>();
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{arg} needs a value");
            switch (arg)
            {
                case "--all": quick = false; break;
                case "--quick": quick = true; break;
                case "--docs": settings.WriteDocs = true; break;
                case "--render": settings.RenderFrom = Path.GetFullPath(Next()); break;
                case "--url":
                    settings.ExternalUrls = [.. Next().Split(',', StringSplitOptions.RemoveEmptyEntries).Select(url => new Uri(url))];
                    settings.ExternalUrl = settings.ExternalUrls[0];
                    break;
                case "--pids":
                    settings.ExternalPids = [.. Next().Split(',', StringSplitOptions.RemoveEmptyEntries).Select(entry => entry.Split('=', 2))
                        .Select(parts => new KeyValuePair<string, int>(parts[0], int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture)))];
                    break;
                case "--env":
                    var variable = Next().Split('=', 2);
                    if (variable.Length != 2 || variable[0].Length == 0) throw new ArgumentException("--env takes KEY=VALUE");
                    settings._environment.Add(new(variable[0], variable[1]));
                    break;
                case "--set":
                    var pair = Next().Split('=', 2);
                    if (pair.Length != 2 || pair[0].Length == 0) throw new ArgumentException("--set takes KEY=VALUE");
                    settings._extra.Add(new(pair[0], pair[1]));
                    break;
                case "--targets": settings.Targets = List(Next()); break;
                case "--scenarios": settings.Scenarios = List(Next()); break;
                case "--connections": settings.Connections = Positive(Next(), arg); explicitValues.Add(arg); break;
                case "--warmup": settings.Warmup = Seconds(Next(), arg); explicitValues.Add(arg); break;
                case "--duration": settings.Duration = Seconds(Next(), arg); explicitValues.Add(arg); break;
                case "--warmup-max": settings.WarmupMax = Seconds(Next(), arg); explicitValues.Add(arg); break;
                case "--wait-quiet": settings.WaitQuiet = Seconds(Next(), arg); break;
                case "--sockets": settings.Sockets = Positive(Next(), arg); explicitValues.Add(arg); break;
                case "--publishers": settings.Publishers = Positive(Next(), arg); explicitValues.Add(arg); break;
                case "--silos": settings.Silos = Positive(Next(), arg); break;
                case "--frontends": settings.FrontEnds = Positive(Next(), arg); break;
                case "--pin":
                    var cpu = Next();
                    settings.PinCpu = cpu == "none" ? null
                        : int.TryParse(cpu, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n < 64 ? n : throw new ArgumentException("--pin takes a CPU number or none");
                    break;
                case "--config": settings.Configuration = Next(); break;
                case "--root": settings.Root = Path.GetFullPath(Next()); break;
                case "--out": settings.OutputDirectory = Path.GetFullPath(Next()); break;
                case "--cluster-state": settings.ClusterState = Path.GetFullPath(Next()); break;
                default: throw new ArgumentException($"unknown argument '{arg}'");
            }
        }
        foreach (var target in settings.Targets)
        {
            if (!KnownTargets.Contains(target)) throw new ArgumentException($"unknown target '{target}'");
            if (target == "external" && settings.ExternalUrl is null) throw new ArgumentException("target 'external' needs --url");
        }
        foreach (var scenario in settings.Scenarios)
        {
            if (!AllScenarios.Contains(scenario)) throw new ArgumentException($"unknown scenario '{scenario}'");
        }
        if (quick == true)
        {
            settings.Quick = true;
            if (!explicitValues.Contains("--connections")) settings.Connections = 8;
            if (!explicitValues.Contains("--warmup")) settings.Warmup = TimeSpan.FromSeconds(0.3);
            if (!explicitValues.Contains("--duration")) settings.Duration = TimeSpan.FromSeconds(1);
            // A smoke run does not wait for the JIT: its figures are not for reading.
            if (!explicitValues.Contains("--warmup-max")) settings.WarmupMax = settings.Warmup;
            if (!explicitValues.Contains("--sockets")) settings.Sockets = 4;
            if (!explicitValues.Contains("--publishers")) settings.Publishers = 2;
        }
        return settings;
    }

    private static string[] List(string value) => value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static int Positive(string value, string name) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : throw new ArgumentException($"{name} takes a positive integer");

    private static TimeSpan Seconds(string value, string name) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var s) && s >= 0 ? TimeSpan.FromSeconds(s) : throw new ArgumentException($"{name} takes seconds");

    private static string OwnConfiguration() =>
        AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Debug{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Debug" : "Release";

    private static string FindRoot()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, System.Environment.CurrentDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "SessionGrains.sln"))) return dir.FullName;
            }
        }
        return System.Environment.CurrentDirectory;
    }
}
