using SessionGrains.Bench.LoadGen.Cpu;

namespace SessionGrains.Bench.LoadGen.Targets;

/// <summary>
/// bench/Kestrel: a bare ASP.NET Core app answering <c>GET /ok</c>, one process, no storage. The ceiling of one
/// HTTP round trip on this machine, to which the read scenario of every other target is compared.
/// </summary>
public sealed class KestrelTarget(BenchSettings settings) : BenchTarget
{
    private readonly string _contentRoot = Directory.CreateTempSubdirectory("sg-bench-kestrel-").FullName;
    private ChildProcess? _process;

    public override string Key => "kestrel";

    public override string Description => "Bare Kestrel: ASP.NET Core minimal app, GET /ok";

    public override bool IsSessionGrains => false;

    public override bool HasSessions => false;

    public override IReadOnlyList<SutProcess> Processes => _process is null ? [] : [new SutProcess("kestrel", "app", _process.Pid)];

    public override async Task Start(CancellationToken cancellationToken)
    {
        var dll = BuildOutput(settings, Path.Combine("bench", "Kestrel"), "SessionGrains.Bench.Kestrel.dll");
        BaseAddress = new Uri($"http://127.0.0.1:{FreePorts.Take(1)[0]}");
        _process = ChildProcess.Start("kestrel", "dotnet", [dll, "--urls", BaseAddress.ToString().TrimEnd('/'), "--contentRoot", _contentRoot],
            _contentRoot, HostEnvironment(settings, sessionGrains: false));
        await _process.WaitUntilReady(new Uri(BaseAddress, "/ok"), TimeSpan.FromSeconds(60), cancellationToken);
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
