using SessionGrains.Bench.LoadGen.Cpu;
using SessionGrains.Bench.LoadGen.Storage;

namespace SessionGrains.Bench.LoadGen.Targets;

/// <summary>One system under test, started fresh for a run and stopped (with every process it started) when disposed.</summary>
public abstract class BenchTarget : IAsyncDisposable
{
    /// <summary>Short key used on the command line and in the results (standalone, cluster, cluster-3x2, cluster-combined, baseline, kestrel).</summary>
    public abstract string Key { get; }

    /// <summary>What it is, for the table.</summary>
    public abstract string Description { get; }

    /// <summary>SessionGrains (token in <c>Authorization: Bearer</c>, WebSockets) or the baseline (session cookie).</summary>
    public abstract bool IsSessionGrains { get; }

    /// <summary>False for the bare Kestrel app: no sessions, its only scenario is <c>read</c> (<c>GET /ok</c>).</summary>
    public virtual bool HasSessions => true;

    public Uri BaseAddress { get; protected set; } = null!;

    /// <summary>Where the load goes, round-robin by connection: every front end of a cluster, else <see cref="BaseAddress"/>.</summary>
    public virtual IReadOnlyList<Uri> Endpoints => [BaseAddress];

    /// <summary>Every process whose CPU time counts against this target, known once <see cref="Start"/> returned; empty when unknown.</summary>
    public abstract IReadOnlyList<SutProcess> Processes { get; }

    /// <summary>Reads the counters of this target's storage, known once <see cref="Start"/> returned; null when it has none or it is unknown.</summary>
    public virtual StorageMeter? Storage => null;

    public abstract Task Start(CancellationToken cancellationToken);

    public abstract ValueTask DisposeAsync();

    public static BenchTarget Create(string key, BenchSettings settings) => key switch
    {
        "standalone" => new StandaloneTarget(settings),
        "cluster" => new ClusterTarget(settings, "cluster", settings.Silos, settings.FrontEnds),
        "cluster-3x2" => new ClusterTarget(settings, "cluster-3x2", 3, 2),
        "cluster-combined" => new ClusterTarget(settings, "cluster-combined", 0, 2, combined: true),
        "cluster-sentinel" => new ClusterTarget(settings, "cluster-sentinel", settings.Silos, settings.FrontEnds, ClusterTarget.Sentinel(replicaAcks: true)),
        "cluster-sentinel-noacks" => new ClusterTarget(settings, "cluster-sentinel-noacks", settings.Silos, settings.FrontEnds, ClusterTarget.Sentinel(replicaAcks: false)),
        "baseline" => new BaselineTarget(settings, "always"),
        "baseline-everysec" => new BaselineTarget(settings, "everysec"),
        "kestrel" => new KestrelTarget(settings),
        "external" => new ExternalTarget(settings.ExternalUrls, settings.ExternalPids),
        _ => throw new ArgumentException($"unknown target '{key}'"),
    };

    protected static string BuildOutput(BenchSettings settings, string project, string dll)
    {
        var path = Path.Combine(settings.Root, project, "bin", settings.Configuration, "net10.0", dll);
        if (!File.Exists(path)) throw new FileNotFoundException($"Build {project} first: dotnet build -c {settings.Configuration}", path);
        return path;
    }

    /// <summary>Environment of every .NET process under test: logging out of the numbers, no caller URL leaking in.</summary>
    protected static Dictionary<string, string?> HostEnvironment(BenchSettings settings, bool sessionGrains)
    {
        var environment = new Dictionary<string, string?>
        {
            ["Logging__LogLevel__Default"] = "Warning",
            ["ASPNETCORE_URLS"] = null,
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["DOTNET_ENVIRONMENT"] = "Production",
        };
        if (sessionGrains)
        {
            foreach (var (key, value) in settings.Environment) environment[key] = value;
        }
        return environment;
    }
}
