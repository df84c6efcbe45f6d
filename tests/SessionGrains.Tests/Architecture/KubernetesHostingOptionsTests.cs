using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Hosting.Kubernetes;
using SessionGrains.Hosting;
using SessionGrains.Silo;
using Xunit;

namespace SessionGrains.Tests.Architecture;

/// <summary>
/// <c>Cluster:Kubernetes</c>: off by default and then nothing changes; on, a silo whose pod variables are missing or
/// disagree with the <c>Cluster</c> section fails at start with their names.
/// </summary>
public sealed class KubernetesHostingOptionsTests
{
    private static IConfiguration Configuration(params (string Key, string Value)[] settings) =>
        new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value))).Build();

    /// <summary>A silo in a pod as deploy/kubernetes/silo.yaml describes it.</summary>
    private static readonly (string, string)[] Pod =
    [
        ("Cluster:Redis", "redis:6379"), ("Cluster:Kubernetes", "true"), ("Cluster:AdvertisedAddress", "10.42.0.17"),
        ("Cluster:ServiceId", "session-grains"), ("Cluster:ClusterId", "blue"),
        ("POD_NAME", "session-grains-silo-7d9c-x2k4p"), ("POD_NAMESPACE", "session-grains"), ("POD_IP", "10.42.0.17"),
        ("ORLEANS_SERVICE_ID", "session-grains"), ("ORLEANS_CLUSTER_ID", "blue"),
    ];

    private sealed class SiloBuilder(IConfiguration configuration) : ISiloBuilder
    {
        public IServiceCollection Services { get; } = new ServiceCollection();
        public IConfiguration Configuration { get; } = configuration;
    }

    [Fact]
    public void Kubernetes_hosting_is_off_by_default_and_then_adds_nothing()
    {
        var configuration = Configuration(("Cluster:Redis", "127.0.0.1:6379"), ("POD_NAME", "a-pod"), ("POD_NAMESPACE", "default"));
        Assert.False(configuration.ReadClusterOptions().Kubernetes);
        var silo = new SiloBuilder(configuration);
        silo.UseKubernetesHostingIfEnabled(configuration);
        Assert.Empty(silo.Services);
    }

    [Fact]
    public void A_pod_described_as_the_manifest_does_gets_Orleans_Kubernetes_hosting()
    {
        var configuration = Configuration(Pod);
        var silo = new SiloBuilder(configuration);
        silo.UseKubernetesHostingIfEnabled(configuration);
        Assert.Contains(silo.Services, s => s.ImplementationType?.Name == "KubernetesClusterAgent");
        Assert.Contains(silo.Services, s => s.ImplementationType?.Assembly == typeof(KubernetesHostingOptions).Assembly && s.ServiceType == typeof(IConfigureOptions<Orleans.Configuration.SiloOptions>));
    }

    [Fact]
    public void Kubernetes_hosting_needs_cluster_mode()
    {
        var failure = Assert.Throws<OptionsValidationException>(() => Configuration(("Cluster:Kubernetes", "true")).ReadClusterOptions());
        Assert.Contains("Cluster:Kubernetes", failure.Message);
        Assert.Contains("Cluster:Redis", failure.Message);
    }

    [Fact]
    public void Every_missing_or_inconsistent_pod_variable_is_named_at_start()
    {
        var settings = Pod.Where(s => s.Item1 is not "POD_NAME").Select(s => s.Item1 == "ORLEANS_CLUSTER_ID" ? (s.Item1, "green") : s).ToArray();
        var configuration = Configuration(settings);
        var failure = Assert.Throws<OptionsValidationException>(() => new SiloBuilder(configuration).UseKubernetesHostingIfEnabled(configuration));
        Assert.Contains("POD_NAME", failure.Message);
        Assert.Contains("ORLEANS_CLUSTER_ID 'green' differs from Cluster:ClusterId 'blue'", failure.Message);
        Assert.DoesNotContain("POD_IP", failure.Message);
        Assert.DoesNotContain("ORLEANS_SERVICE_ID", failure.Message);
    }

    [Fact]
    public void A_pod_address_other_than_the_advertised_one_is_refused()
    {
        var configuration = Configuration([.. Pod.Where(s => s.Item1 != "POD_IP"), ("POD_IP", "10.42.0.99")]);
        var failures = KubernetesSiloHosting.Check(configuration.ReadClusterOptions(), configuration);
        Assert.Equal(["POD_IP '10.42.0.99' differs from Cluster:AdvertisedAddress '10.42.0.17'."], failures);
    }

    [Fact]
    public void A_silo_host_in_a_pod_takes_the_pods_name_and_address_and_keeps_the_clusters_ids()
    {
        // Orleans' Kubernetes hosting reads the process environment itself, as the silo host's configuration does.
        var pod = Pod.Where(s => !s.Item1.StartsWith("Cluster:", StringComparison.Ordinal)).ToList();
        foreach (var (name, value) in pod) Environment.SetEnvironmentVariable(name, value);
        try
        {
            var builder = Host.CreateApplicationBuilder();
            builder.Configuration.AddInMemoryCollection(Pod.Where(s => s.Item1.StartsWith("Cluster:", StringComparison.Ordinal))
                .Select(s => new KeyValuePair<string, string?>(s.Item1, s.Item2)));
            builder.UseOrleans(silo => silo.AddSessionSilo(builder.Configuration, Path.GetTempPath()).UseKubernetesHostingIfEnabled(builder.Configuration));
            using var host = builder.Build();

            Assert.Equal("session-grains-silo-7d9c-x2k4p", host.Services.GetRequiredService<IOptions<SiloOptions>>().Value.SiloName);
            var endpoints = host.Services.GetRequiredService<IOptions<EndpointOptions>>().Value;
            Assert.Equal("10.42.0.17", endpoints.AdvertisedIPAddress.ToString());
            Assert.Equal(new System.Net.IPEndPoint(System.Net.IPAddress.Any, 11111), endpoints.SiloListeningEndpoint);
            var cluster = host.Services.GetRequiredService<IOptions<ClusterOptions>>().Value;
            Assert.Equal(("session-grains", "blue"), (cluster.ServiceId, cluster.ClusterId));
        }
        finally
        {
            foreach (var (name, _) in pod) Environment.SetEnvironmentVariable(name, null);
        }
    }
}
