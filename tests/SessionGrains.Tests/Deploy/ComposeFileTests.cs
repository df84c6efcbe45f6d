using System.Diagnostics;
using System.Text.RegularExpressions;
using SessionGrains.Tests.Infrastructure;
using Xunit;
using YamlDotNet.RepresentationModel;

namespace SessionGrains.Tests.Deploy;

/// <summary>
/// docker-compose.yml as Docker Compose itself reads it: <c>docker-compose config</c> validates it, fills in the
/// variables and prints the result, which these tests inspect. No Docker engine is needed.
/// </summary>
public sealed partial class ComposeFileTests
{
    private const string SiloDockerfile = "deploy/silo.Dockerfile";
    private const string FrontEndDockerfile = "deploy/frontend.Dockerfile";
    private const string SentinelOverride = "docker-compose.sentinel.yml";
    /// <summary>Prefixes of the variables docker-compose.yml reads.</summary>
    private static readonly string[] ComposeVariables = ["SESSION_GRAINS_", "OTEL_VIEWER_"];

    /// <summary>The secrets Compose requires; tests that are not about them pass these.</summary>
    private static readonly Dictionary<string, string> Secrets = new()
    {
        ["SESSION_GRAINS_SIGNING_KEY"] = "dGVzdC1zaWduaW5nLWtleS1vZi10aGlydHktdHdvLWJ5dGVz",
        ["SESSION_GRAINS_API_KEY"] = "test-api-key",
    };

    [Fact]
    public async Task The_cluster_has_redis_three_silos_two_front_ends_a_load_balancer_and_a_telemetry_viewer()
    {
        var services = Services(await Config());

        Assert.Single(services, s => Image(s.Value).StartsWith("redis:", StringComparison.Ordinal));
        Assert.Equal(3, services.Count(s => Dockerfile(s.Value) == SiloDockerfile));
        Assert.Equal(2, services.Count(s => Dockerfile(s.Value) == FrontEndDockerfile));
        Assert.Single(services, s => Image(s.Value).StartsWith("nginx:", StringComparison.Ordinal));
        Assert.Single(services, s => Image(s.Value).Contains("aspire-dashboard", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Only_the_load_balancer_and_the_telemetry_viewer_publish_ports()
    {
        var services = Services(await Config());

        var publishing = services.Where(s => PublishedPorts(s.Value).Count > 0).ToDictionary(s => s.Key, s => PublishedPorts(s.Value));

        Assert.Equal(["lb", "otel-viewer"], publishing.Keys.Order());
        Assert.Equal(["8080"], publishing["lb"]);
        Assert.Equal(["18888"], publishing["otel-viewer"]);
    }

    [Fact]
    public async Task Published_ports_bind_to_loopback_unless_told_otherwise()
    {
        var services = Services(await Config());
        Assert.Equal(["127.0.0.1"], HostAddresses(services["lb"]));
        Assert.Equal(["127.0.0.1"], HostAddresses(services["otel-viewer"]));

        var everywhere = Services(await Config(new(Secrets) { ["SESSION_GRAINS_BIND"] = "0.0.0.0" }));
        Assert.Equal(["0.0.0.0"], HostAddresses(everywhere["lb"]));
    }

    [Theory]
    [InlineData("SESSION_GRAINS_SIGNING_KEY")]
    [InlineData("SESSION_GRAINS_API_KEY")]
    [InlineData("SESSION_GRAINS_SIGNING_KEY", SentinelOverride)]
    [InlineData("SESSION_GRAINS_API_KEY", SentinelOverride)]
    public async Task Compose_refuses_to_start_without_each_secret(string missing, params string[] overrides)
    {
        var variables = new Dictionary<string, string>(Secrets);
        variables.Remove(missing);
        var (exitCode, _, errors) = await RunConfig(variables, overrides);
        Assert.NotEqual(0, exitCode);
        Assert.Contains(missing, errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Redis_fsyncs_its_append_only_file_on_every_write_into_a_named_volume()
    {
        var config = await Config();
        var redis = Services(config).Single(s => Image(s.Value).StartsWith("redis:", StringComparison.Ordinal)).Value;

        var command = string.Join(' ', ((YamlSequenceNode)redis["command"]).Select(Text));
        Assert.Contains("--appendonly yes", command, StringComparison.Ordinal);
        Assert.Contains("--appendfsync always", command, StringComparison.Ordinal);
        var (source, target) = Mount(((YamlSequenceNode)redis["volumes"]).Single());
        Assert.Equal("/data", target);
        Assert.True(((YamlMappingNode)config["volumes"]).Children.ContainsKey(source), $"{source} is not a named volume");
    }

    [Fact]
    public async Task Silos_and_front_ends_meet_in_redis_and_send_telemetry_to_the_viewer()
    {
        var services = Services(await Config());

        foreach (var host in services.Where(s => Dockerfile(s.Value) is SiloDockerfile or FrontEndDockerfile))
        {
            var environment = Environment(host.Value);
            Assert.Equal("redis:6379", environment["Cluster__Redis"]);
            Assert.Equal("http://otel-viewer:18889", environment["OTEL_EXPORTER_OTLP_ENDPOINT"]);
            // Left to the silo image's entry point, which advertises the container's own address.
            Assert.False(environment.ContainsKey("Cluster__AdvertisedAddress"), $"{host.Key} fixes Cluster__AdvertisedAddress");
        }
    }

    [Fact]
    public async Task The_front_ends_take_their_secrets_from_the_environment_of_docker_compose()
    {
        var services = Services(await Config(new() { ["SESSION_GRAINS_SIGNING_KEY"] = "c2lnbmluZy1rZXktZnJvbS10aGUtZW52aXJvbm1lbnQ=", ["SESSION_GRAINS_API_KEY"] = "api-key-from-the-environment" }));
        Assert.DoesNotContain("development-only", await File.ReadAllTextAsync(Path.Combine(RepositoryPaths.Root, "docker-compose.yml")), StringComparison.Ordinal);

        var frontEnds = services.Where(s => Dockerfile(s.Value) == FrontEndDockerfile).ToList();
        Assert.All(frontEnds, f => Assert.Equal("c2lnbmluZy1rZXktZnJvbS10aGUtZW52aXJvbm1lbnQ=", Environment(f.Value)["Tokens__SigningKey"]));
        Assert.All(frontEnds, f => Assert.Equal("api-key-from-the-environment", Environment(f.Value)["Admin__ApiKey"]));
        Assert.All(services.Where(s => Dockerfile(s.Value) != FrontEndDockerfile), s => Assert.False(Environment(s.Value).ContainsKey("Admin__ApiKey")));
    }

    [Fact]
    public async Task The_load_balancer_spreads_requests_over_both_front_ends_without_stickiness_and_passes_websocket_upgrades()
    {
        var services = Services(await Config());
        var lb = services["lb"];
        Assert.Contains(((YamlSequenceNode)lb["volumes"]).Select(Mount), m =>
            m.Source.EndsWith("/deploy/nginx.conf", StringComparison.Ordinal) && m.Target == "/etc/nginx/nginx.conf");
        var nginx = await File.ReadAllTextAsync(Path.Combine(RepositoryPaths.Root, "deploy", "nginx.conf"));

        var upstream = UpstreamBlock().Match(nginx);
        Assert.True(upstream.Success, "nginx.conf has no upstream block");
        var servers = UpstreamServer().Matches(upstream.Value).Select(m => m.Groups[1].Value).Order().ToList();
        Assert.Equal(services.Where(s => Dockerfile(s.Value) == FrontEndDockerfile).Select(s => s.Key + ":8080").Order(), servers);
        Assert.DoesNotMatch(@"\b(ip_hash|hash|sticky|least_conn|random)\b", upstream.Value);
        Assert.Contains("proxy_set_header Upgrade $http_upgrade;", nginx, StringComparison.Ordinal);
        Assert.Contains("proxy_set_header Connection $connection_upgrade;", nginx, StringComparison.Ordinal);
    }

    /// <summary>The root of <c>docker-compose config</c>'s output, with <paramref name="variables"/> (by default the secrets) set for Compose.</summary>
    private static async Task<YamlMappingNode> Config(Dictionary<string, string>? variables = null, params string[] overrides)
    {
        var (exitCode, output, errors) = await RunConfig(variables ?? Secrets, overrides);
        Assert.True(exitCode == 0, $"docker-compose config failed ({exitCode}):\n{errors}");
        var yaml = new YamlStream();
        yaml.Load(new StringReader(output));
        return (YamlMappingNode)yaml.Documents[0].RootNode;
    }

    /// <summary><c>docker-compose -f docker-compose.yml [-f OVERRIDE...] config</c>.</summary>
    private static async Task<(int ExitCode, string Output, string Errors)> RunConfig(Dictionary<string, string> variables, params string[] overrides)
    {
        var info = new ProcessStartInfo("docker-compose")
        {
            WorkingDirectory = RepositoryPaths.Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in new[] { "--no-ansi", "-f", "docker-compose.yml" }.Concat(overrides.SelectMany(o => new[] { "-f", o })).Append("config")) info.ArgumentList.Add(arg);
        // The file's own defaults apply unless a test sets a variable, whatever the caller's environment holds.
        foreach (var name in info.Environment.Keys.Where(k => ComposeVariables.Any(p => k.StartsWith(p, StringComparison.Ordinal))).ToList())
            info.Environment.Remove(name);
        foreach (var (name, value) in variables) info.Environment[name] = value;

        Process process;
        try
        {
            process = Process.Start(info)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException("docker-compose was not found on PATH: install it (Debian: apt-get install docker-compose, as .ci/run does) to validate docker-compose.yml.", e);
        }
        using (process)
        {
            var output = process.StandardOutput.ReadToEndAsync();
            var errors = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await process.WaitForExitAsync(timeout.Token);
            return (process.ExitCode, await output, await errors);
        }
    }

    private static Dictionary<string, YamlMappingNode> Services(YamlMappingNode config) =>
        ((YamlMappingNode)config["services"]).Children.ToDictionary(s => Text(s.Key), s => (YamlMappingNode)s.Value);

    private static string Image(YamlMappingNode service) => Child(service, "image") is { } image ? Text(image) : "";

    private static string? Dockerfile(YamlMappingNode service) =>
        Child(service, "build") is YamlMappingNode build && Child(build, "dockerfile") is { } file ? Text(file) : null;

    private static List<string> PublishedPorts(YamlMappingNode service) =>
        Child(service, "ports") is YamlSequenceNode ports
            ? ports.Select(p => p is YamlMappingNode port ? Text(port["published"]) : Text(p).Split(':')[^2]).ToList()
            : [];

    /// <summary>The host addresses ports are published on (<c>host_ip:published:target</c>); empty for every interface.</summary>
    [Fact]
    public async Task Silos_and_front_ends_log_at_the_level_shipped_in_their_images()
    {
        // The level comes from the appsettings.json published into the image (ShippedSettings), as for every other
        // way of starting the processes: neither this file nor the Dockerfiles set a second one.
        foreach (var host in Services(await Config()).Where(s => Dockerfile(s.Value) is SiloDockerfile or FrontEndDockerfile))
            Assert.DoesNotContain(Environment(host.Value).Keys, k => k.StartsWith("Logging__", StringComparison.OrdinalIgnoreCase));
        foreach (var dockerfile in new[] { SiloDockerfile, FrontEndDockerfile })
            Assert.DoesNotContain("Logging__", File.ReadAllText(Path.Combine(RepositoryPaths.Root, dockerfile)), StringComparison.OrdinalIgnoreCase);
    }

    private static List<string> HostAddresses(YamlMappingNode service) =>
        ((YamlSequenceNode)service["ports"]).Select(p => p is YamlMappingNode port
            ? (Child(port, "host_ip") is { } ip ? Text(ip) : "")
            : Text(p).Split(':') is { Length: 3 } parts ? parts[0] : "").ToList();

    private static Dictionary<string, string> Environment(YamlMappingNode service) =>
        Child(service, "environment") is YamlMappingNode environment
            ? environment.Children.ToDictionary(e => Text(e.Key), e => Text(e.Value))
            : [];

    /// <summary>A volume as Compose prints it: <c>source:target[:mode]</c>, or the long form.</summary>
    private static (string Source, string Target) Mount(YamlNode volume) =>
        volume is YamlMappingNode mount
            ? (Text(mount["source"]), Text(mount["target"]))
            : (Text(volume).Split(':')[0], Text(volume).Split(':')[1]);

    private static YamlNode? Child(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var child) ? child : null;

    private static string Text(YamlNode node) => ((YamlScalarNode)node).Value ?? "";

    [GeneratedRegex(@"upstream\s+\w+\s*\{[^}]*\}")]
    private static partial Regex UpstreamBlock();

    [GeneratedRegex(@"^\s*server\s+([\w.-]+:\d+)", RegexOptions.Multiline)]
    private static partial Regex UpstreamServer();
}
