using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using SessionGrains.Hosting;
using SessionGrains.Processes;
using StackExchange.Redis;
using Xunit;
using YamlDotNet.RepresentationModel;

namespace SessionGrains.Tests.Deploy;

/// <summary>
/// docker-compose.sentinel.yml over docker-compose.yml: a primary, two replicas and three sentinels. The merged file as
/// Compose prints it, and the sentinels' configuration run by real redis-server processes on loopback (no Docker engine
/// runs here), with <c>localhost</c> standing for the compose network's host names.
/// </summary>
public sealed partial class ComposeFileTests
{
    private const string SentinelPort = "26379";

    [Fact]
    public async Task The_sentinel_override_adds_two_replicas_of_the_primary_and_three_sentinels_watching_it()
    {
        var services = Services(await Config(overrides: SentinelOverride));
        var nodes = services.Where(s => Image(s.Value).StartsWith("redis:", StringComparison.Ordinal) && !IsSentinel(s.Value)).ToDictionary(s => s.Key, s => Arguments(s.Value));
        var sentinels = services.Where(s => IsSentinel(s.Value)).ToDictionary(s => s.Key, s => s.Value);

        Assert.Equal(["redis", "redis-replica1", "redis-replica2"], nodes.Keys.Order());
        Assert.Equal(["sentinel1", "sentinel2", "sentinel3"], sentinels.Keys.Order());
        var volumes = ((YamlMappingNode)(await Config(overrides: SentinelOverride))["volumes"]).Children.Keys.Select(Text).ToHashSet();
        foreach (var (name, args) in nodes)
        {
            // Every node keeps the single server's durability and announces its service name, not its IP.
            Assert.Equal("yes", args["--appendonly"]);
            Assert.Equal("always", args["--appendfsync"]);
            Assert.Equal(name, args["--replica-announce-ip"]);
            var (source, target) = Mount(((YamlSequenceNode)services[name]["volumes"]).Single());
            Assert.Equal("/data", target);
            Assert.Contains(source, volumes);
            if (name != "redis") Assert.Equal("redis 6379", args["--replicaof"]);
        }
        Assert.Equal(3, nodes.Select(n => Mount(((YamlSequenceNode)services[n.Key]["volumes"]).Single()).Source).Distinct().Count());

        foreach (var (name, sentinel) in sentinels)
        {
            var lines = SentinelConfiguration(sentinel, Environment(sentinel));
            Assert.Contains($"port {SentinelPort}", lines);
            Assert.Contains("sentinel resolve-hostnames yes", lines);
            Assert.Contains("sentinel announce-hostnames yes", lines);
            Assert.Contains($"sentinel announce-ip {name}", lines);
            // A majority of the three must agree that the primary is down.
            Assert.Contains("sentinel monitor sessiongrains redis 6379 2", lines);
            Assert.Contains(Depends(sentinel), d => d == "redis");
        }
    }

    [Fact]
    public async Task Under_the_sentinel_override_silos_and_front_ends_find_the_primary_through_every_sentinel()
    {
        var services = Services(await Config(overrides: SentinelOverride));
        var sentinels = services.Where(s => IsSentinel(s.Value)).Select(s => s.Key).Order().ToList();

        var hosts = services.Where(s => Dockerfile(s.Value) is SiloDockerfile or FrontEndDockerfile).ToList();
        Assert.Equal(5, hosts.Count);
        foreach (var host in hosts)
        {
            var redis = ConfigurationOptions.Parse(Environment(host.Value)["Cluster__Redis"]);
            Assert.Equal("sessiongrains", redis.ServiceName);
            Assert.Equal(sentinels.Select(s => $"{s}:{SentinelPort}"), redis.EndPoints.Select(e => ((System.Net.DnsEndPoint)e).Host + ":" + ((System.Net.DnsEndPoint)e).Port).Order());
            // They start once every sentinel answers; writes then wait for one replica (the Sentinel default).
            Assert.Superset(sentinels.ToHashSet(), Depends(host.Value).ToHashSet());
            Assert.Equal(1, ReplicaAcks.Read(new ConfigurationBuilder().Build(), redis).Min);
        }
        // Nothing new is published: Redis and the sentinels stay on the compose network.
        Assert.Equal(["lb", "otel-viewer"], services.Where(s => PublishedPorts(s.Value).Count > 0).Select(s => s.Key).Order());
    }

    /// <summary>
    /// The primary's and a replica's command lines and a sentinel's start script, from the merged file, run on loopback:
    /// the sentinel must accept the configuration, name the primary by the host name it announces (<c>localhost</c>
    /// here, the service name in compose), and a client configured like the silos must write through it.
    /// </summary>
    [Fact]
    public async Task The_sentinel_configuration_runs_on_real_redis_and_hands_clients_an_announced_host_name()
    {
        var services = Services(await Config(overrides: SentinelOverride));
        var ports = FreePorts.Take(3);
        var directory = Directory.CreateTempSubdirectory("sg-compose-sentinel-").FullName;
        var processes = new List<ChildProcess>();
        try
        {
            // Service names become localhost, container ports free loopback ports.
            string Local(string arg, string service, int port) => arg == service ? "localhost" : arg == "6379" ? ports[0].ToString() : arg;
            foreach (var (service, port) in new[] { ("redis", ports[0]), ("redis-replica1", ports[1]) })
            {
                var args = ((YamlSequenceNode)services[service]["command"]).Select(Text).ToList();
                var dataDir = Directory.CreateDirectory(Path.Combine(directory, service)).FullName;
                var local = args.Skip(1).Select(a => Local(a, service, port)).Select(a => a == "redis" ? "localhost" : a)
                    .Concat(["--port", port.ToString(), "--bind", "127.0.0.1", "--dir", dataDir]);
                processes.Add(ChildProcess.Start(service, "redis-server", local, dataDir));
            }

            var sentinel = services["sentinel1"];
            var script = Text(((YamlSequenceNode)sentinel["command"])[2]).Replace("$$", "$", StringComparison.Ordinal)
                .Replace("/data/sentinel.conf", Path.Combine(directory, "sentinel.conf"), StringComparison.Ordinal)
                .Replace($"'port {SentinelPort}'", $"'port {ports[2]}' 'bind 127.0.0.1'", StringComparison.Ordinal)
                .Replace("sessiongrains redis 6379 2", $"sessiongrains localhost {ports[0]} 1", StringComparison.Ordinal)
                .Replace("exec docker-entrypoint.sh redis-server", "exec redis-server", StringComparison.Ordinal);
            processes.Add(ChildProcess.Start("sentinel", "sh", ["-c", script], directory, new Dictionary<string, string?> { ["SENTINEL_NAME"] = "localhost" }));

            var configuration = ConfigurationOptions.Parse(Environment(services["silo1"])["Cluster__Redis"]);
            configuration.EndPoints.Clear();
            configuration.EndPoints.Add("127.0.0.1", ports[2]);
            configuration.AbortOnConnectFail = false;
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (true)
            {
                Assert.All(processes, p => Assert.False(p.HasExited, $"{p.Label} exited:\n{p.Output}"));
                try
                {
                    using var sentinelConnection = await ConnectionMultiplexer.ConnectAsync(new ConfigurationOptions { EndPoints = { { "127.0.0.1", ports[2] } }, CommandMap = CommandMap.Sentinel, AbortOnConnectFail = false });
                    var primary = (string?[]?)await sentinelConnection.GetServer("127.0.0.1", ports[2]).ExecuteAsync("SENTINEL", "get-master-addr-by-name", "sessiongrains");
                    // announce-hostnames: the sentinel hands out the name, which the compose network's DNS resolves.
                    Assert.Equal("localhost " + ports[0], string.Join(" ", primary ?? []));
                    using var client = await ConnectionMultiplexer.ConnectAsync(configuration);
                    var database = client.GetDatabase();
                    await database.StringSetAsync("compose-sentinel-check", "ok");
                    // The replica (announced as localhost too) confirms the write, as session writes require.
                    var acknowledged = (long)await database.ExecuteAsync("WAIT", 1, 2000);
                    Assert.Equal(1, acknowledged);
                    break;
                }
                catch (Exception e) when (DateTime.UtcNow < deadline && e is RedisException or Xunit.Sdk.XunitException)
                {
                    await Task.Delay(250);
                }
            }
        }
        finally
        {
            foreach (var process in processes) await process.DisposeAsync();
            Directory.Delete(directory, recursive: true);
        }
    }

    private static bool IsSentinel(YamlMappingNode service) =>
        Child(service, "command") is YamlSequenceNode command && command.Select(Text).Any(c => c.Contains("--sentinel", StringComparison.Ordinal));

    /// <summary>A node's <c>--option value...</c> arguments, values joined by spaces.</summary>
    private static Dictionary<string, string> Arguments(YamlMappingNode service)
    {
        var result = new Dictionary<string, string>();
        string? option = null;
        foreach (var arg in ((YamlSequenceNode)service["command"]).Select(Text).Skip(1))
        {
            if (arg.StartsWith("--", StringComparison.Ordinal)) result[option = arg] = "";
            else if (option is not null) result[option] = (result[option] + " " + arg).Trim();
        }
        return result;
    }

    /// <summary>The lines a sentinel's start script writes into its configuration file, its variables expanded.</summary>
    private static List<string> SentinelConfiguration(YamlMappingNode sentinel, Dictionary<string, string> environment)
    {
        var script = Text(((YamlSequenceNode)sentinel["command"])[2]).Replace("$$", "$", StringComparison.Ordinal);
        return QuotedLine().Matches(script[..script.IndexOf("> ", StringComparison.Ordinal)]).Skip(1)
            .Select(m => Regex.Replace(m.Groups[1].Value, @"\$\{(\w+)\}", v => environment[v.Groups[1].Value]))
            .ToList();
    }

    private static IEnumerable<string> Depends(YamlMappingNode service) =>
        Child(service, "depends_on") switch
        {
            YamlMappingNode map => map.Children.Keys.Select(Text),
            YamlSequenceNode list => list.Select(Text),
            _ => [],
        };

    [GeneratedRegex("""['"]([^'"]*)['"]""")]
    private static partial Regex QuotedLine();
}
