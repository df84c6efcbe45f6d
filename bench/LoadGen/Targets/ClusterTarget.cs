using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace SessionGrains.Bench.LoadGen.Targets;

/// <summary>
/// SessionGrains cluster mode through scripts/local-cluster.sh: its own redis-server (AOF, appendfsync always),
/// N silos and M front ends as processes; the load goes to the front ends round-robin by connection.
/// </summary>
public sealed partial class ClusterTarget(BenchSettings settings) : BenchTarget
{
    private readonly bool _ownsState = settings.ClusterState is null;
    private readonly string _state = settings.ClusterState ?? Directory.CreateTempSubdirectory("sg-bench-cluster-").FullName;
    private bool _started;

    public override string Key => "cluster";

    public override string Description => $"SessionGrains cluster ({settings.Silos} silos + {settings.FrontEnds} front end{(settings.FrontEnds > 1 ? "s" : "")}, Redis)";

    public override bool IsSessionGrains => true;

    /// <summary>Every front end; <see cref="BenchTarget.BaseAddress"/> is the first.</summary>
    public IReadOnlyList<Uri> FrontEnds { get; private set; } = [];

    public override async Task Start(CancellationToken cancellationToken)
    {
        _started = true;
        await Run(["up", "--silos", settings.Silos.ToString(CultureInfo.InvariantCulture), "--frontends", settings.FrontEnds.ToString(CultureInfo.InvariantCulture),
            "--config", settings.Configuration,
            "--set", $"Sessions:RequestsPerSecond={BenchSettings.RequestsPerSecond}",
            // One load generator on one address creates sessions in bulk: the abuse limits would measure themselves.
            "--set", "RateLimits:Enabled=false", "--set", "Anonymous:MaxDataBytes=4194304", "--set", "Anonymous:MaxIdleTimeout=7.00:00:00",
            "--set", "Logging:LogLevel:Default=Warning",
            .. settings.Extra.SelectMany(e => new[] { "--set", $"{e.Key}={e.Value}" })], TimeSpan.FromSeconds(240), cancellationToken);
        var state = File.ReadAllLines(Path.Combine(_state, "cluster.env"))
            .Select(line => line.Split('=', 2)).Where(parts => parts.Length == 2)
            .ToDictionary(parts => parts[0], parts => BackslashEscape().Replace(parts[1], "$1"));
        FrontEnds = Enumerable.Range(1, settings.FrontEnds).Select(n => new Uri(state[$"FRONTEND_{n}_URL"])).ToList();
        BaseAddress = FrontEnds[0];
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

    // cluster.env holds bash printf %q output: backslash escapes.
    [GeneratedRegex(@"\\(.)")]
    private static partial Regex BackslashEscape();
}
