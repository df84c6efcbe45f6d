using System.Diagnostics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using SessionGrains.Grains.Storage;
using SessionGrains.Hosting;
using System.Text.RegularExpressions;
using Xunit;

namespace SessionGrains.Tests.Infrastructure;

/// <summary>
/// A real cluster (redis-server, silo and front-end processes on free loopback ports) run through
/// <c>scripts/local-cluster.sh</c>, the launcher the README documents. Dispose stops every process it started.
/// </summary>
public partial class LocalCluster : IAsyncLifetime
{
    private readonly string _stateDir = RepositoryPaths.NewTempFolder("cluster");
    private Dictionary<string, string> _state = new();

    protected virtual int Silos => 3;

    protected virtual int FrontEnds => 2;

    /// <summary><c>--log-level</c> of the launcher; null leaves the level of the shipped appsettings.json (Warning).</summary>
    protected virtual string? LogLevel => null;

    /// <summary>More arguments of <c>up</c>, e.g. <c>--redis sentinel</c>.</summary>
    protected virtual IReadOnlyList<string> UpArguments => [];

    /// <summary><c>Cluster:Redis</c> as the silos and front ends got it (a Sentinel configuration with <c>--redis sentinel</c>).</summary>
    public string RedisConnectionString => _state.GetValueOrDefault("REDIS_CONNECTION") ?? $"127.0.0.1:{RedisPort}";

    /// <summary>Configuration passed to every silo and front end (<c>--set KEY=VALUE</c>).</summary>
    protected virtual IReadOnlyDictionary<string, string> Settings { get; } = new Dictionary<string, string>();

    public IReadOnlyList<Uri> FrontEndUrls => Enumerable.Range(1, FrontEnds).Select(n => new Uri(_state[$"FRONTEND_{n}_URL"])).ToList();

    public string ApiKey => _state["API_KEY"];

    /// <summary>The HTTP address of silo <paramref name="n"/> (health and /metrics).</summary>
    public Uri SiloHttpUrl(int n) => new(_state[$"SILO_{n}_HTTP"]);

    public int SiloCount => Silos;

    /// <summary>The gateway endpoint of silo <paramref name="n"/> (kept across its restarts).</summary>
    public System.Net.IPEndPoint SiloGateway(int n) => new(System.Net.IPAddress.Loopback, int.Parse(_state[$"SILO_{n}_GATEWAY"]));

    public string ClusterId => _state["CLUSTER_ID"];

    public string ServiceId => _state["SERVICE_ID"];

    /// <summary>Silo numbers the cluster has used so far (silos added with <c>start-silo count+1</c> included).</summary>
    public int RunningSiloSlots => int.TryParse(_state.GetValueOrDefault("SILOS"), out var n) ? n : Silos;

    public int RedisPort => int.Parse(_state["REDIS_PORT"]);

    /// <summary>The process id of the cluster's redis-server (single topology).</summary>
    public int RedisPid => int.Parse(_state["REDIS_PID"]);

    /// <summary>The process id of silo <paramref name="n"/> as the launcher recorded it.</summary>
    public int SiloPid(int n) => int.Parse(_state[$"SILO_{n}_PID"]);

    /// <summary>The silo-to-silo port of silo <paramref name="n"/>.</summary>
    public int SiloPort(int n) => int.Parse(_state[$"SILO_{n}_PORT"]);

    /// <summary>The silo-to-silo port of combined node <paramref name="n"/> (<c>up --combined</c>: front end n runs a silo).</summary>
    public int FrontEndSiloPort(int n) => int.Parse(_state[$"FRONTEND_{n}_SILO_PORT"]);

    /// <summary>The process id of front end <paramref name="n"/> as the launcher recorded it.</summary>
    public int FrontEndPid(int n) => int.Parse(_state[$"FRONTEND_{n}_PID"]);

    /// <summary>The log files of the silos and front ends the launcher started (<c>silo-1.log</c>, <c>frontend-2.log</c>, …).</summary>
    public IReadOnlyList<string> ProcessLogs() =>
        [.. Directory.GetFiles(Path.Combine(_stateDir, "logs"), "*.log").Where(f => Path.GetFileName(f).StartsWith("silo-", StringComparison.Ordinal) || Path.GetFileName(f).StartsWith("frontend-", StringComparison.Ordinal)).Order()];

    /// <summary>The text of every silo's log so far, one after the other.</summary>
    public string SiloLogText() =>
        string.Concat(ProcessLogs().Where(f => Path.GetFileName(f).StartsWith("silo-", StringComparison.Ordinal)).Select(File.ReadAllText));

    /// <summary>What the last successful command of <c>local-cluster.sh</c> said, each line stamped with the time (UTC).</summary>
    public string LastLog { get; private set; } = "";

    /// <summary>
    /// An Orleans client of this cluster, for tests that need to ask the cluster itself (e.g. where a grain lives).
    /// Dispose the host when done.
    /// </summary>
    public async Task<IHost> ConnectClient()
    {
        var host = BuildClient();
        await host.StartAsync();
        return host;
    }

    /// <summary>An Orleans client of this cluster, not started yet; <paramref name="configure"/> may change it first.</summary>
    public IHost BuildClient(Action<IClientBuilder>? configure = null)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(Microsoft.Extensions.Logging.LogLevel.Warning);
        builder.UseOrleansClient(client =>
        {
            client.Configure<ClusterOptions>(options =>
            {
                options.ClusterId = ClusterId;
                options.ServiceId = ServiceId;
            });
            client.UseRedisClustering(options => options.ConfigurationOptions = RedisConnection.Options(RedisConnectionString));
            configure?.Invoke(client);
        });
        return builder.Build();
    }

    public async Task InitializeAsync()
    {
        var args = new List<string> { "up", "--silos", Silos.ToString(), "--frontends", FrontEnds.ToString(), "--config", RepositoryPaths.Configuration };
        // Orleans' own instruments, off by default, let tests see how messages travel (RoutingTests).
        args.AddRange(["--set", "Telemetry:OrleansMetrics=true"]);
        foreach (var (key, value) in StandaloneFrontEnd.WithoutAbuseLimits) args.AddRange(["--set", $"{key}={value}"]);
        foreach (var (key, value) in Settings) args.AddRange(["--set", $"{key}={value}"]);
        if (LogLevel is not null) args.AddRange(["--log-level", LogLevel]);
        args.AddRange(UpArguments);
        try
        {
            await Run([.. args], TimeSpan.FromSeconds(180));
        }
        catch
        {
            await DisposeAsync();
            throw;
        }
    }

    public Task KillSilo(int n) => Run(["kill-silo", n.ToString()], TimeSpan.FromSeconds(30));

    public Task StopSilo(int n) => Run(["stop-silo", n.ToString()], TimeSpan.FromSeconds(90));

    public Task StartSilo(int n) => Run(["start-silo", n.ToString()], TimeSpan.FromSeconds(90));

    /// <summary>SIGTERM silo <paramref name="n"/> and wait until it has handed its sessions over and exited.</summary>
    public Task DrainSilo(int n) => Run(["drain-silo", n.ToString()], TimeSpan.FromSeconds(90));

    /// <summary>Every silo, then every front end, restarted one at a time (<c>local-cluster.sh rolling-restart</c>).</summary>
    public Task RollingRestart() => Run(["rolling-restart"], TimeSpan.FromSeconds(400));

    public Task StopFrontEnd(int n) => Run(["stop-frontend", n.ToString()], TimeSpan.FromSeconds(90));

    public Task KillFrontEnd(int n) => Run(["kill-frontend", n.ToString()], TimeSpan.FromSeconds(30));

    public Task StartFrontEnd(int n) => Run(["start-frontend", n.ToString()], TimeSpan.FromSeconds(90));

    public Task KillRedis() => Run(["kill-redis"], TimeSpan.FromSeconds(30));

    /// <summary>Sentinel topology: freezes the replicas and closes their links for <paramref name="cut"/>, then SIGKILLs the primary and resumes them.</summary>
    public Task KillRedisPrimaryCuttingReplication(TimeSpan cut) =>
        Run(["kill-redis", "--cut-replication", ((int)cut.TotalMilliseconds).ToString()], TimeSpan.FromSeconds(30));

    /// <summary>Sentinel topology: SIGSTOPs the primary for <paramref name="freeze"/>, then resumes it (two primaries for a while).</summary>
    public Task FreezeRedisPrimary(TimeSpan freeze) =>
        Run(["freeze-redis", ((int)freeze.TotalMilliseconds).ToString()], freeze + TimeSpan.FromSeconds(30));

    public Task StartRedis() => Run(["start-redis"], TimeSpan.FromSeconds(60));

    public Task WaitReady() => Run(["wait-ready"], TimeSpan.FromSeconds(90));

    /// <summary>Which silo process (1-based) hosts a silo address as the API prints it ("127.0.0.1:port@generation").</summary>
    public int SiloNumberOf(string siloAddress)
    {
        var port = SiloAddressPort().Match(siloAddress).Groups[1].Value;
        for (var n = 1; n <= RunningSiloSlots; n++)
        {
            if (_state.GetValueOrDefault($"SILO_{n}_PORT") == port) return n;
        }
        throw new InvalidOperationException($"No silo of this cluster has address {siloAddress}");
    }

    public HttpClient CreateClient(int frontEnd) =>
        new(new SocketsHttpHandler { UseCookies = false, PooledConnectionLifetime = TimeSpan.FromSeconds(30) })
        {
            BaseAddress = FrontEndUrls[frontEnd - 1],
            Timeout = TimeSpan.FromSeconds(30),
        };

    public async Task DisposeAsync()
    {
        try
        {
            await Run(["down"], TimeSpan.FromSeconds(120));
        }
        finally
        {
            try
            {
                // SESSION_GRAINS_KEEP_LOGS=1 keeps the state folder (logs of every process) for a look after a failure.
                if (Environment.GetEnvironmentVariable("SESSION_GRAINS_KEEP_LOGS") != "1") Directory.Delete(_stateDir, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private async Task Run(string[] args, TimeSpan timeout)
    {
        var info = new ProcessStartInfo("bash")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = RepositoryPaths.Root,
        };
        info.ArgumentList.Add(Path.Combine(RepositoryPaths.Root, "scripts", "local-cluster.sh"));
        foreach (var arg in args) info.ArgumentList.Add(arg);
        info.ArgumentList.Add("--state");
        info.ArgumentList.Add(_stateDir);

        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"local-cluster.sh {string.Join(' ', args)} took longer than {timeout}:\n{await errors}");
        }
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"local-cluster.sh {string.Join(' ', args)} failed ({process.ExitCode}):\n{await output}\n{await errors}");
        LastLog = await errors;
        LoadState();
    }

    private void LoadState()
    {
        var file = Path.Combine(_stateDir, "cluster.env");
        if (!File.Exists(file)) return;
        _state = File.ReadAllLines(file)
            .Select(line => line.Split('=', 2))
            .Where(parts => parts.Length == 2)
            .ToDictionary(parts => parts[0], parts => Unquote(parts[1]));
    }

    // The state file holds bash printf %q output: backslash escapes, or $'…' for control characters (not used here).
    private static string Unquote(string value) => BackslashEscape().Replace(value, "$1");

    [GeneratedRegex(@"\\(.)")]
    private static partial Regex BackslashEscape();

    [GeneratedRegex(@":(\d+)@")]
    private static partial Regex SiloAddressPort();
}
