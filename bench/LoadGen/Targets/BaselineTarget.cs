using SessionGrains.Bench.LoadGen.Cpu;
using SessionGrains.Bench.LoadGen.Storage;

namespace SessionGrains.Bench.LoadGen.Targets;

/// <summary>The baseline: bench/Baseline (ASP.NET Core Session middleware over the Redis distributed cache) and its own redis-server.</summary>
public sealed class BaselineTarget(BenchSettings settings, string fsync) : BenchTarget
{
    private readonly string _contentRoot = Directory.CreateTempSubdirectory("sg-bench-baseline-").FullName;
    private RedisServer? _redis;
    private ChildProcess? _process;

    public override string Key => fsync == "always" ? "baseline" : $"baseline-{fsync}";

    public override string Description => $"Baseline: Session middleware + Redis cache (appendfsync {fsync})";

    public override bool IsSessionGrains => false;

    public override IReadOnlyList<SutProcess> Processes =>
        _process is null || _redis is null ? [] : [new SutProcess("baseline app", "app", _process.Pid), new SutProcess("redis", "redis", _redis.Pid)];

    public override StorageMeter? Storage => _redis is null ? null : StorageMeter.Redis(_redis.Port, _redis.Pid);

    public override async Task Start(CancellationToken cancellationToken)
    {
        var dll = BuildOutput(settings, Path.Combine("bench", "Baseline"), "SessionGrains.Bench.Baseline.dll");
        _redis = await RedisServer.Start(fsync, cancellationToken);
        BaseAddress = new Uri($"http://127.0.0.1:{FreePorts.Take(1)[0]}");
        _process = ChildProcess.Start("baseline", "dotnet",
            [dll, "--urls", BaseAddress.ToString().TrimEnd('/'), "--contentRoot", _contentRoot, "--Redis", _redis.ConnectionString],
            _contentRoot, HostEnvironment(settings, sessionGrains: false));
        await _process.WaitUntilReady(new Uri(BaseAddress, "/healthz"), TimeSpan.FromSeconds(60), cancellationToken);
    }

    public override async ValueTask DisposeAsync()
    {
        if (_process is not null) await _process.DisposeAsync();
        if (_redis is not null) await _redis.DisposeAsync();
        try
        {
            Directory.Delete(_contentRoot, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
