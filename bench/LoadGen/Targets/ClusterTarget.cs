using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using SessionGrains.Bench.LoadGen.Cpu;
using SessionGrains.Bench.LoadGen.Storage;

namespace SessionGrains.Bench.LoadGen.Targets;

/// <summary>
/// SessionGrains cluster mode through scripts/local-cluster.sh: its own redis-server (AOF, appendfsync always),
/// N silos and M front ends as processes; the load generator spreads its connections over the front ends
/// round-robin (connection i goes to front end i mod M), no balancer in between. Its processes' ids come from the
/// launcher's state file (REDIS_PID, SILO_n_PID, FRONTEND_n_PID in cluster.env), its Redis's port too (REDIS_PORT).
/// With a <see cref="RedisTopology"/> other than the single server (<c>--redis sentinel</c>), every Redis process counts
/// (REDIS_n_PID, SENTINEL_n_PID) and the storage figures are the first primary's (REDIS_PORT names it).
/// </summary>
/// With <paramref name="combined"/>, every front end is a combined node (a silo of the cluster in its own process,
/// local-cluster.sh --combined) and there are no other silos unless <paramref name="silos"/> asks for them.
public sealed partial class ClusterTarget(BenchSettings settings, string key, int silos, int frontEnds, ClusterTarget.RedisTopology? topology = null, bool combined = false) : BenchTarget
{
    /// <summary>Launcher arguments for Redis (<c>--redis ...</c>), settings of this target only, and how it is described.</summary>
    public sealed record RedisTopology(string Description, IReadOnlyList<string> LauncherArgs, IReadOnlyList<KeyValuePair<string, string>> Settings);

    /// <summary>A primary, two replicas and three sentinels; session writes wait for one replica unless <paramref name="replicaAcks"/> is false.</summary>
    public static RedisTopology Sentinel(bool replicaAcks) => new(
        replicaAcks ? "Redis Sentinel, 2 replicas, writes wait for 1" : "Redis Sentinel, 2 replicas, no replica acks",
        ["--redis", "sentinel", "--replicas", "2"],
        replicaAcks ? [] : [new("Storage:MinReplicaAcks", "0")]);

    private readonly bool _ownsState = settings.ClusterState is null;
    // One folder per cluster target, so that a test can find and stop each of them (scripts/local-cluster.sh down).
    private readonly string _state = settings.ClusterState is { } state ? Path.Combine(state, key) : Directory.CreateTempSubdirectory("sg-bench-cluster-").FullName;
    private bool _started;
    private IReadOnlyList<SutProcess> _processes = [];
    private StorageMeter? _storage;

    public override string Key => key;

    public override string Description => combined
        ? $"SessionGrains cluster ({frontEnds} combined node{(frontEnds > 1 ? "s" : "")}: front end + silo in one process, {topology?.Description ?? "Redis"})"
        : $"SessionGrains cluster ({silos} silo{(silos > 1 ? "s" : "")} + {frontEnds} front end{(frontEnds > 1 ? "s" : "")}, {topology?.Description ?? "Redis"})";

    public override bool IsSessionGrains => true;

    /// <summary>Every front end; <see cref="BenchTarget.BaseAddress"/> is the first.</summary>
    public IReadOnlyList<Uri> FrontEnds { get; private set; } = [];

    public override IReadOnlyList<Uri> Endpoints => FrontEnds;

    public override IReadOnlyList<SutProcess> Processes => _processes;

    public override StorageMeter? Storage => _storage;

    public override async Task Start(CancellationToken cancellationToken)
    {
        _started = true;
        Directory.CreateDirectory(_state);
        await Run(["up", "--silos", silos.ToString(CultureInfo.InvariantCulture), "--frontends", frontEnds.ToString(CultureInfo.InvariantCulture),
            "--config", settings.Configuration, .. topology?.LauncherArgs ?? [], .. combined ? new[] { "--combined" } : [],
            "--set", $"Sessions:RequestsPerSecond={BenchSettings.RequestsPerSecond}",
            // One load generator on one address creates sessions in bulk: the abuse limits would measure themselves.
            "--set", "RateLimits:Enabled=false", "--set", "Anonymous:MaxDataBytes=4194304", "--set", "Anonymous:MaxIdleTimeout=7.00:00:00",
            "--set", "Logging:LogLevel:Default=Warning",
            .. (topology?.Settings ?? []).Concat(settings.Extra).SelectMany(e => new[] { "--set", $"{e.Key}={e.Value}" })], TimeSpan.FromSeconds(240), cancellationToken);
        var state = File.ReadAllLines(Path.Combine(_state, "cluster.env"))
            .Select(line => line.Split('=', 2)).Where(parts => parts.Length == 2)
            .ToDictionary(parts => parts[0], parts => BackslashEscape().Replace(parts[1], "$1"));
        FrontEnds = Enumerable.Range(1, frontEnds).Select(n => new Uri(state[$"FRONTEND_{n}_URL"])).ToList();
        BaseAddress = FrontEnds[0];
        var (redis, primary) = RedisProcesses(state);
        _processes =
        [
            .. Enumerable.Range(1, frontEnds).Select(n => combined
                ? StateProcess(state, $"FRONTEND_{n}_PID", $"node {n}", "node", "SessionGrains.Client.dll")
                : StateProcess(state, $"FRONTEND_{n}_PID", $"front end {n}", "front end", "SessionGrains.Client.dll")),
            .. Enumerable.Range(1, silos).Select(n => StateProcess(state, $"SILO_{n}_PID", $"silo {n}", "silo", "SessionGrains.Silo.dll")),
            .. redis,
        ];
        _storage = StorageMeter.Redis(Number(state["REDIS_PORT"]), primary.Pid);
    }

    /// <summary>
    /// Every Redis process of the cluster (role "redis") and the primary among them: the one redis-server, or with
    /// Sentinel the nodes (the first primary is the node on REDIS_PORT) and the sentinels.
    /// </summary>
    private static (List<SutProcess> All, SutProcess Primary) RedisProcesses(Dictionary<string, string> state)
    {
        if (state.GetValueOrDefault("REDIS_TOPOLOGY", "single") == "single")
        {
            var redis = StateProcess(state, "REDIS_PID", "redis", "redis", "redis-server");
            return ([redis], redis);
        }
        var nodes = Enumerable.Range(1, Number(state["REDIS_NODES"]))
            .Select(n => (Port: state[$"REDIS_{n}_PORT"], Process: StateProcess(state, $"REDIS_{n}_PID", $"redis node {n}", "redis", "redis-server"))).ToList();
        var sentinels = Enumerable.Range(1, state.Keys.Count(k => SentinelPid().IsMatch(k)))
            .Select(n => StateProcess(state, $"SENTINEL_{n}_PID", $"sentinel {n}", "redis", "redis-sentinel"));
        return ([.. nodes.Select(n => n.Process), .. sentinels], nodes.Single(n => n.Port == state["REDIS_PORT"]).Process);
    }

    private static int Number(string text) => int.Parse(text, NumberStyles.None, CultureInfo.InvariantCulture);

    /// <summary>A process from the state file, checked to be the one the launcher started (its command line names the program).</summary>
    private static SutProcess StateProcess(Dictionary<string, string> state, string variable, string name, string role, string program)
    {
        if (!state.TryGetValue(variable, out var value) || !int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            throw new InvalidOperationException($"cluster.env has no {variable}");
        var command = ProcFs.CommandLine(pid);
        if (!command.Contains(program, StringComparison.Ordinal))
            throw new InvalidOperationException($"{variable}={pid} is not {program} but '{command}'");
        return new SutProcess(name, role, pid);
    }

    public override async ValueTask DisposeAsync()
    {
        if (_started)
        {
            try
            {
                await Run(["down"], TimeSpan.FromSeconds(120), CancellationToken.None);
            }
            catch (Exception ex)
            {
                Console.Error.WriteLine($"warning: local-cluster.sh down failed: {ex.Message}");
            }
        }
        if (_ownsState)
        {
            try
            {
                Directory.Delete(_state, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private async Task Run(string[] args, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo("bash")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = settings.Root,
        };
        // The launcher's processes inherit its environment.
        foreach (var (key, value) in settings.Environment) info.Environment[key] = value;
        info.ArgumentList.Add(Path.Combine(settings.Root, "scripts", "local-cluster.sh"));
        foreach (var arg in args) info.ArgumentList.Add(arg);
        info.ArgumentList.Add("--state");
        info.ArgumentList.Add(_state);

        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var errors = process.StandardError.ReadToEndAsync(CancellationToken.None);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"local-cluster.sh {string.Join(' ', args)} did not finish within {timeout}:\n{await errors}");
        }
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"local-cluster.sh {string.Join(' ', args)} failed ({process.ExitCode}):\n{await output}\n{await errors}");
    }

    [GeneratedRegex(@"^SENTINEL_\d+_PID$")]
    private static partial Regex SentinelPid();

    // cluster.env holds bash printf %q output: backslash escapes.
    [GeneratedRegex(@"\\(.)")]
    private static partial Regex BackslashEscape();
}
