using System.Globalization;
using SessionGrains.Bench.LoadGen.Cpu;
using SessionGrains.Bench.LoadGen.Storage;

namespace SessionGrains.Bench.LoadGen.Targets;

/// <summary>SessionGrains standalone: one front-end process with its co-hosted silo and SQLite storage in a temp folder.</summary>
public sealed class StandaloneTarget(BenchSettings settings) : BenchTarget
{
    private readonly string _contentRoot = Directory.CreateTempSubdirectory("sg-bench-standalone-").FullName;
    private ChildProcess? _process;

    public override string Key => "standalone";

    public override string Description => "SessionGrains standalone (1 process, co-hosted silo, SQLite)";

    public override bool IsSessionGrains => true;

    public override IReadOnlyList<SutProcess> Processes =>
        _process is null ? [] : [new SutProcess("front end + silo", "front end + silo", _process.Pid)];

    public override StorageMeter? Storage => _process is null ? null : StorageMeter.Sqlite(_process.Pid);

    public override async Task Start(CancellationToken cancellationToken)
    {
        var dll = BuildOutput(settings, "Client", "SessionGrains.Client.dll");
        var ports = FreePorts.Take(3);
        BaseAddress = new Uri($"http://127.0.0.1:{ports[0]}");
        _process = ChildProcess.Start("SessionGrains standalone", "dotnet",
            [dll, "--urls", BaseAddress.ToString().TrimEnd('/'), "--contentRoot", _contentRoot,
                "--Cluster:SiloPort", ports[1].ToString(CultureInfo.InvariantCulture),
                "--Cluster:GatewayPort", ports[2].ToString(CultureInfo.InvariantCulture),
                "--Sessions:RequestsPerSecond", BenchSettings.RequestsPerSecond.ToString(CultureInfo.InvariantCulture),
                // One load generator on one address creates sessions in bulk: the abuse limits would measure themselves.
                "--RateLimits:Enabled", "false", "--Anonymous:MaxDataBytes", "4194304", "--Anonymous:MaxIdleTimeout", "7.00:00:00",
                .. settings.Extra.SelectMany(e => new[] { "--" + e.Key, e.Value })],
            _contentRoot, HostEnvironment(settings, sessionGrains: true));
        await _process.WaitUntilReady(new Uri(BaseAddress, "/readyz"), TimeSpan.FromSeconds(90), cancellationToken);
    }

    public override async ValueTask DisposeAsync()
    {
        if (_process is not null) await _process.DisposeAsync();
        try
        {
            Directory.Delete(_contentRoot, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
