using SessionGrains.Tests.Infrastructure;
using Xunit;

namespace SessionGrains.Tests.SignalR;

/// <summary>
/// Two chat deployments side by side, each as two servers behind the compose nginx configuration (round robin, no
/// affinity): the example chat on SessionGrains.SignalR (the local cluster's two front ends, three silos, Redis), and
/// the stock Redis backplane app (bench/RedisBackplane) on the same redis-server. Dispose stops everything.
/// </summary>
public sealed class SignalRCluster : IAsyncLifetime
{
    private readonly ChildProcess?[] _redisApps = new ChildProcess?[2];
    private int[] _redisAppPorts = [];

    public LocalCluster Cluster { get; } = new();

    public NginxProxy GrainsBalancer { get; private set; } = null!;

    public NginxProxy RedisBalancer { get; private set; } = null!;

    public Uri GrainsHub => new(GrainsBalancer.BaseAddress, "/hubs/chat");

    public Uri RedisHub => new(RedisBalancer.BaseAddress, "/hubs/chat");

    public int RedisAppPid(int n) => _redisApps[n - 1]?.Pid ?? throw new InvalidOperationException($"Redis-backplane app {n} is not running.");

    public async Task InitializeAsync()
    {
        await Cluster.InitializeAsync();
        try
        {
            GrainsBalancer = await NginxProxy.Start(Cluster.FrontEndUrls);
            _redisAppPorts = FreePorts.Take(2);
            await Task.WhenAll(StartRedisApp(1), StartRedisApp(2));
            RedisBalancer = await NginxProxy.Start([.. _redisAppPorts.Select(p => new Uri($"http://127.0.0.1:{p}"))]);
        }
        catch
        {
            await DisposeAsync();
            throw;
        }
    }

    public async Task StartRedisApp(int n)
    {
        var dll = Path.Combine(RepositoryPaths.Root, "bench", "RedisBackplane", "bin", RepositoryPaths.Configuration, "net10.0", "SessionGrains.Bench.RedisBackplane.dll");
        if (!File.Exists(dll)) throw new FileNotFoundException($"Build bench/RedisBackplane first ({RepositoryPaths.Configuration}).", dll);
        var url = new Uri($"http://127.0.0.1:{_redisAppPorts[n - 1]}");
        var app = ChildProcess.Start($"redis-backplane-{n}", "dotnet", [dll, $"--urls={url}", $"--Redis=127.0.0.1:{Cluster.RedisPort}", "--Logging:LogLevel:Default=Warning"], Path.GetDirectoryName(dll)!);
        _redisApps[n - 1] = app;
        await app.WaitUntilReady(new Uri(url, "/healthz"), TimeSpan.FromSeconds(60));
    }

    /// <summary>SIGKILL, as <see cref="LocalCluster.KillFrontEnd"/> does to a front end.</summary>
    public Task KillRedisApp(int n) => _redisApps[n - 1]?.Kill() ?? Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var app in _redisApps)
        {
            if (app is not null) await app.DisposeAsync();
        }
        if (RedisBalancer is not null) await RedisBalancer.DisposeAsync();
        if (GrainsBalancer is not null) await GrainsBalancer.DisposeAsync();
        await Cluster.DisposeAsync();
    }
}
