using System.Text.RegularExpressions;

namespace SessionGrains.Tests.Infrastructure;

/// <summary>
/// A real nginx running the compose topology's <c>deploy/nginx.conf</c>, adapted to this machine: its upstream servers
/// become the given front ends, it listens on a free loopback port, and it runs in the foreground from a temp prefix.
/// Dispose stops it.
/// </summary>
public sealed partial class NginxProxy : IAsyncDisposable
{
    private readonly string _prefix;
    private readonly ChildProcess _process;

    private NginxProxy(string prefix, ChildProcess process, Uri baseAddress)
    {
        _prefix = prefix;
        _process = process;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    public static async Task<NginxProxy> Start(IReadOnlyList<Uri> frontEnds)
    {
        var prefix = RepositoryPaths.NewTempFolder("nginx");
        var port = FreePorts.Take(1)[0];
        var config = Adapt(await File.ReadAllTextAsync(Path.Combine(RepositoryPaths.Root, "deploy", "nginx.conf")), frontEnds, port);
        var configPath = Path.Combine(prefix, "nginx.conf");
        await File.WriteAllTextAsync(configPath, config);
        ChildProcess process;
        try
        {
            process = ChildProcess.Start("nginx", "nginx", ["-p", prefix, "-c", configPath, "-e", "stderr", "-g", $"daemon off; pid {Path.Combine(prefix, "nginx.pid")};"], prefix);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException("nginx was not found on PATH: install it (Debian: apt-get install nginx, as .ci/run does) to run the load balancer's tests.", e);
        }
        var proxy = new NginxProxy(prefix, process, new Uri($"http://127.0.0.1:{port}"));
        try
        {
            await process.WaitUntilReady(new Uri(proxy.BaseAddress, "/healthz"), TimeSpan.FromSeconds(30));
        }
        catch
        {
            await proxy.DisposeAsync();
            throw;
        }
        return proxy;
    }

    /// <summary>The configuration with local upstreams and listen address; everything else as deployed.</summary>
    public static string Adapt(string config, IReadOnlyList<Uri> frontEnds, int port)
    {
        var servers = string.Join("\n", frontEnds.Select(f => $"        server 127.0.0.1:{f.Port} max_fails=1 fail_timeout=5s;"));
        var upstream = UpstreamServers().Replace(config, "");
        upstream = UpstreamOpen().Replace(upstream, m => m.Value + "\n" + servers, 1);
        var adapted = ListenPort().Replace(upstream, $"listen 127.0.0.1:{port};", 1);
        adapted = WorkerProcesses().Replace(adapted, "worker_processes 1;", 1);
        if (adapted == config || !adapted.Contains($"listen 127.0.0.1:{port};", StringComparison.Ordinal))
            throw new InvalidOperationException("deploy/nginx.conf no longer has the upstream or listen lines this test rewrites.");
        return adapted;
    }

    public async ValueTask DisposeAsync()
    {
        await _process.Stop(TimeSpan.FromSeconds(10));
        await _process.DisposeAsync();
        try
        {
            Directory.Delete(_prefix, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [GeneratedRegex(@"^\s*server\s+[\w.-]+:\d+[^;]*;\s*$\n?", RegexOptions.Multiline)]
    private static partial Regex UpstreamServers();

    [GeneratedRegex(@"upstream\s+\w+\s*\{")]
    private static partial Regex UpstreamOpen();

    [GeneratedRegex(@"listen\s+\d+;")]
    private static partial Regex ListenPort();

    [GeneratedRegex(@"worker_processes\s+\w+;")]
    private static partial Regex WorkerProcesses();
}
