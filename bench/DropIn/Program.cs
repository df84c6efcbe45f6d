using System.Globalization;
using System.Net;
using SessionGrains.Bench.LoadGen.Cpu;
using SessionGrains.Bench.LoadGen.Load;

// The drop-in store's cost (issue 19): samples/Shop's GET /visits (load, increment, commit) over 200 sessions from 32
// connections, with the built-in Redis provider and with SessionGrains in a shop that is a silo of the cluster itself
// (Session:Mode=Silo, Redis), as an Orleans client of a cluster (1 silo on Redis) and over HTTP (a standalone front end),
// in one run. CPU per page sums every process of the store and the app,
// read from /proc while the generator is pinned to a CPU of its own (bench/LoadGen's meter). Then 32 concurrent
// clients of one session each increment 10 times: lost updates. Ratios are against the Redis provider of the same run.
//   dotnet bench/DropIn/bin/Release/net10.0/SessionGrains.Bench.DropIn.dll [--rounds 2] [--seconds 10] [--config Release] [--targets silo,cluster,http]
// (the Redis provider always runs: it is the baseline of the ratios)
const string Usage = "usage: SessionGrains.Bench.DropIn.dll [--rounds N] [--seconds S] [--config Release|Debug] [--targets silo,cluster,http]\n"
    + "  the Redis provider always runs: it is the baseline of the ratios";
var options = args.Select((arg, i) => (arg, i)).Where(a => a.arg.StartsWith("--", StringComparison.Ordinal))
    .ToDictionary(a => a.arg[2..], a => a.i + 1 < args.Length ? args[a.i + 1] : "");
if (args.Contains("--help") || args.Contains("-h"))
{
    Console.WriteLine(Usage);
    return 0;
}
string[] knownOptions = ["rounds", "seconds", "config", "targets"], knownTargets = ["redis", "silo", "cluster", "http"];
var unknownArgument = options.Keys.FirstOrDefault(o => !knownOptions.Contains(o)) is { } badOption ? $"option --{badOption}"
    : options.TryGetValue("targets", out var namedTargets) && namedTargets.Split(',').FirstOrDefault(t => !knownTargets.Contains(t)) is { } badTarget
        ? $"target {badTarget}" : null;
if (unknownArgument is not null)
{
    Console.Error.WriteLine($"error: unknown {unknownArgument}\n{Usage}");
    return 2;
}
var rounds = int.Parse(options.GetValueOrDefault("rounds", "1"), CultureInfo.InvariantCulture);
var seconds = double.Parse(options.GetValueOrDefault("seconds", "10"), CultureInfo.InvariantCulture);
var configuration = options.GetValueOrDefault("config", AppContext.BaseDirectory.Contains("/Debug/", StringComparison.Ordinal) ? "Debug" : "Release");
var root = FindRoot();
const int Sessions = 200, Connections = 32, ConcurrentClients = 32, IncrementsEach = 10;

var pinning = Pinning.Pin(Pinning.DefaultCpu);
Console.WriteLine($"load generator on {pinning?.Describe() ?? "all CPUs (pinning unavailable)"}; {Sessions} sessions, {Connections} connections, {seconds} s windows, {rounds} round(s), {configuration}");
string[] targets = options.TryGetValue("targets", out var only) ? ["redis", .. only.Split(',').Where(t => t != "redis")] : ["redis", "silo", "cluster", "http"];
var best = new Dictionary<string, Figures>();
for (var round = 1; round <= rounds; round++)
{
    foreach (var target in targets)
    {
        var figures = await Measure(target);
        Console.WriteLine($"round {round} {Describe(target)}: {figures.PerSecond:F0} req/s, {figures.CpuMicroseconds:F0} us CPU per page ({figures.Breakdown}), {figures.Lost} of {ConcurrentClients * IncrementsEach} lost, {figures.Errors} errors");
        best[target] = best.TryGetValue(target, out var previous) ? Figures.Best(previous, figures) : figures;
    }
}

var redis = best["redis"];
Console.WriteLine();
Console.WriteLine($"| store under samples/Shop (best of {rounds}) | req/s | vs Redis | CPU per page (app + its store, all processes) | vs Redis | lost of {ConcurrentClients * IncrementsEach} (32 clients, 1 session) |");
Console.WriteLine("|---|---|---|---|---|---|");
foreach (var target in targets)
{
    var f = best[target];
    Console.WriteLine($"| {Describe(target)} | {f.PerSecond:F0} | {f.PerSecond / redis.PerSecond:F2}x | {f.CpuMicroseconds:F0} us | {f.CpuMicroseconds / redis.CpuMicroseconds:F2}x | {f.Lost} |");
}
return 0;

string Describe(string target) => target switch
{
    "redis" => "built-in `AddStackExchangeRedisCache`",
    "cluster" => "`AddSessionGrains`, Orleans client (`UseCluster`: 1 silo, Redis)",
    "silo" => "`AddSessionGrains` in a shop that is a silo of the cluster (`Session:Mode=Silo`, Redis)",
    _ => "`AddSessionGrains`, HTTP (standalone front end)",
};

async Task<Figures> Measure(string target)
{
    var processes = new List<ChildProcess>();
    await using var redisServer = target == "http" ? null : await RedisServer.Start("everysec", CancellationToken.None);
    var temp = Directory.CreateTempSubdirectory("sg-bench-dropin-").FullName;
    try
    {
        var environment = new Dictionary<string, string?> { ["Logging__LogLevel__Default"] = "Warning", ["ASPNETCORE_URLS"] = null, ["ASPNETCORE_ENVIRONMENT"] = "Production", ["DOTNET_ENVIRONMENT"] = "Production" };
        var signingKey = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        var apiKey = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(24));
        string[] shopSettings;
        Uri shop;
        using (pinning?.Unpinned())
        {
            switch (target)
            {
                case "redis":
                    shopSettings = ["--Session:Provider", "Redis", "--Session:Redis", redisServer!.ConnectionString];
                    break;
                case "cluster":
                {
                    var ports = FreePorts.Take(3);
                    var silo = Start(processes, "silo", "Silo", "SessionGrains.Silo.dll", ports[2],
                        ["--Cluster:Redis", redisServer!.ConnectionString, "--Cluster:SiloPort", Text(ports[0]), "--Cluster:GatewayPort", Text(ports[1])], environment, temp);
                    await silo.Process.WaitUntilReady(new Uri(silo.Address, "readyz"), TimeSpan.FromSeconds(90));
                    shopSettings = ["--Session:Mode", "Cluster", "--Session:ClusterRedis", redisServer.ConnectionString, "--Session:SigningKey", signingKey];
                    break;
                }
                case "silo":
                {
                    // No other process: the shop's own silo hosts its sessions and stores them in Redis.
                    var ports = FreePorts.Take(2);
                    shopSettings = ["--Session:Mode", "Silo", "--Session:SigningKey", signingKey, "--Cluster:Redis", redisServer!.ConnectionString,
                        "--Cluster:SiloPort", Text(ports[0]), "--Cluster:GatewayPort", Text(ports[1]), "--Sessions:RequestsPerSecond", "100000"];
                    break;
                }
                default:
                {
                    var ports = FreePorts.Take(3);
                    var frontEnd = Start(processes, "front end", "Client", "SessionGrains.Client.dll", ports[2],
                        ["--Cluster:SiloPort", Text(ports[0]), "--Cluster:GatewayPort", Text(ports[1]), "--Admin:ApiKey", apiKey, "--Tokens:SigningKey", signingKey,
                         "--RateLimits:Enabled", "false", "--Sessions:RequestsPerSecond", "100000"], environment, temp);
                    await frontEnd.Process.WaitUntilReady(new Uri(frontEnd.Address, "readyz"), TimeSpan.FromSeconds(90));
                    shopSettings = ["--Session:Mode", "Http", "--Session:SessionGrains", frontEnd.Address.ToString(), "--Session:ApiKey", apiKey];
                    break;
                }
            }
            var app = Start(processes, "shop", Path.Combine("samples", "Shop"), "SessionGrains.Samples.Shop.dll", FreePorts.Take(1)[0], ["--Session:LoadAsync", "true", .. shopSettings], environment, temp);
            await app.Process.WaitUntilReady(new Uri(app.Address, "healthz"), TimeSpan.FromSeconds(90));
            shop = app.Address;
        }

        using var http = new HttpClient(new SocketsHttpHandler { UseCookies = false, MaxConnectionsPerServer = Connections, PooledConnectionLifetime = Timeout.InfiniteTimeSpan })
            { BaseAddress = shop, Timeout = TimeSpan.FromSeconds(60) };
        var cookies = new string[Sessions];
        for (var i = 0; i < Sessions; i++) cookies[i] = (await Visit(http, null)).Cookie ?? throw new InvalidOperationException("the shop set no session cookie");

        List<SutProcess> measured = [.. processes.Select(p => new SutProcess(p.Label, p.Label, p.Pid))];
        if (redisServer is not null) measured.Add(new SutProcess("redis", "redis", redisServer.Pid));
        var meter = new CpuMeter(measured);
        var load = await ClosedLoop.Run(Connections, TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(seconds),
            async (worker, n, cancellationToken) => (await Visit(http, cookies[(int)((worker + n * Connections) % Sessions)])).Ok,
            CancellationToken.None, cpu: meter, warmupMax: TimeSpan.FromSeconds(20));
        var cpu = load.Cpu!;
        var breakdown = string.Join(", ", cpu.Processes.Select(p => $"{p.Name} {p.Seconds / load.Operations * 1e6:F0}"));

        // Lost updates: one session, 32 clients at once.
        var (_, cookie) = await Visit(http, null);
        await Task.WhenAll(Enumerable.Range(0, ConcurrentClients).Select(async _ =>
        {
            for (var i = 0; i < IncrementsEach; i++) await Visit(http, cookie);
        }));
        var counted = long.Parse(await Body(http, cookie), CultureInfo.InvariantCulture) - 2; // less the first request and this one
        return new Figures(load.PerSecond, cpu.SutSeconds / load.Operations * 1e6, ConcurrentClients * IncrementsEach - counted, load.Errors, breakdown);
    }
    finally
    {
        foreach (var process in Enumerable.Reverse(processes)) await process.DisposeAsync();
        Directory.Delete(temp, recursive: true);
    }
}

(ChildProcess Process, Uri Address) Start(List<ChildProcess> processes, string label, string project, string dll, int port, string[] settings, Dictionary<string, string?> environment, string temp)
{
    var path = Path.Combine(root, project, "bin", configuration, "net10.0", dll);
    if (!File.Exists(path)) throw new FileNotFoundException($"Build first: dotnet build -c {configuration} SessionGrains.sln", path);
    var address = new Uri($"http://127.0.0.1:{port}/");
    var content = Directory.CreateDirectory(Path.Combine(temp, label.Replace(' ', '-'))).FullName;
    var process = ChildProcess.Start(label, "dotnet", [path, "--urls", address.ToString().TrimEnd('/'), "--contentRoot", content, .. settings], Path.GetDirectoryName(path)!, environment);
    processes.Add(process);
    return (process, address);
}

static string Text(int port) => port.ToString(CultureInfo.InvariantCulture);

static HttpRequestMessage Request(string? cookie)
{
    var request = new HttpRequestMessage(HttpMethod.Get, "/visits");
    if (cookie is not null) request.Headers.Add("Cookie", cookie);
    return request;
}

static async Task<(bool Ok, string? Cookie)> Visit(HttpClient http, string? cookie)
{
    using var request = Request(cookie);
    using var response = await http.SendAsync(request);
    await response.Content.ReadAsByteArrayAsync();
    var set = response.Headers.TryGetValues("Set-Cookie", out var values) ? values.Select(v => v.Split(';')[0]).FirstOrDefault() : null;
    return (response.StatusCode == HttpStatusCode.OK, set ?? cookie);
}

static async Task<string> Body(HttpClient http, string? cookie)
{
    using var request = Request(cookie);
    using var response = await http.SendAsync(request);
    return await response.Content.ReadAsStringAsync();
}

static string FindRoot()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
    {
        if (File.Exists(Path.Combine(dir.FullName, "SessionGrains.sln"))) return dir.FullName;
    }
    throw new InvalidOperationException("SessionGrains.sln not found above " + AppContext.BaseDirectory);
}

internal sealed record Figures(double PerSecond, double CpuMicroseconds, long Lost, long Errors, string Breakdown)
{
    /// <summary>The better of two rounds of one target: the higher throughput, the lower CPU per page, the more updates lost (a race seen once is real).</summary>
    public static Figures Best(Figures a, Figures b) =>
        new(Math.Max(a.PerSecond, b.PerSecond), Math.Min(a.CpuMicroseconds, b.CpuMicroseconds), Math.Max(a.Lost, b.Lost), a.Errors + b.Errors,
            a.CpuMicroseconds <= b.CpuMicroseconds ? a.Breakdown : b.Breakdown);
}
