using k8s.Models;
using Microsoft.Extensions.Configuration;
using Orleans.Hosting.Kubernetes;
using SessionGrains.Hosting;
using SessionGrains.Silo;
using SessionGrains.Tests.Infrastructure;
using Xunit;

namespace SessionGrains.Tests.Deploy;

/// <summary>
/// deploy/kubernetes/, checked structurally: no Kubernetes cluster runs here, so these tests are what stands between
/// the manifests and a typo. They check what a cluster would only reveal at run time: probes on the endpoints the hosts
/// serve, a grace period that fits the drain, budgets, Services and RBAC that select and grant what is needed, the
/// variables Orleans' Kubernetes hosting reads, and that no secret is committed.
/// </summary>
public sealed class KubernetesManifestTests
{
    /// <summary>
    /// The longest a silo's drain may take (SessionPlacementOptions.DrainTimeout) plus the time its host allows after it to
    /// leave membership: the silos' grace period must cover both.
    /// </summary>
    private static readonly int DrainSeconds = (int)(new SessionGrains.Grains.Placement.SessionPlacementOptions().DrainTimeout + SessionGrains.Hosting.SiloConfiguration.AfterDrain).TotalSeconds;

    private const string SiloDockerfile = "silo.Dockerfile";
    private const string FrontEndDockerfile = "frontend.Dockerfile";
    private static readonly KubernetesManifests Manifests = KubernetesManifests.All;

    /// <summary>deploy/kubernetes ("base") or the Sentinel overlay deploy/kubernetes-sentinel ("sentinel").</summary>
    internal static KubernetesManifests Of(string deployment) => deployment == "sentinel" ? KubernetesManifests.Sentinel : KubernetesManifests.All;

    [Fact]
    public void Every_file_of_the_folder_is_applied_and_loads_strictly_into_the_Kubernetes_types()
    {
        var files = Directory.EnumerateFiles(KubernetesManifests.Folder, "*.yaml").Select(Path.GetFileName).Where(f => f != "kustomization.yaml");
        Assert.Equal(files.Order(), Manifests.Resources.Order());
        Assert.Single(Manifests.OfKind<V1Namespace>());
        // kustomization.yaml puts everything in one namespace; a namespace written in a file would escape it.
        Assert.All(Manifests.Objects.Cast<IMetadata<V1ObjectMeta>>().Where(o => o is not V1Namespace), o => Assert.Null(o.Metadata.NamespaceProperty));
        Assert.Equal(3, Manifests.Silos.Spec.Replicas);
        Assert.Equal(2, Manifests.FrontEnds.Spec.Replicas);
    }

    [Fact]
    public void Silos_and_front_ends_probe_readiness_and_liveness_where_their_hosts_serve_them()
    {
        foreach (var (deployment, dockerfile, source) in new[]
        {
            (Manifests.Silos, SiloDockerfile, "Silo/SiloHealthEndpoints.cs"),
            (Manifests.FrontEnds, FrontEndDockerfile, "Client/Operations/HealthEndpoints.cs"),
        })
        {
            var code = File.ReadAllText(Path.Combine(RepositoryPaths.Root, source));
            Assert.Contains("MapGet(\"/healthz\"", code, StringComparison.Ordinal);
            Assert.Contains("MapGet(\"/readyz\"", code, StringComparison.Ordinal);
            var container = KubernetesManifests.Container(deployment);
            var healthPort = KubernetesManifests.DockerfileHealthPort(dockerfile);
            foreach (var (probe, path) in new[] { (container.ReadinessProbe, "/readyz"), (container.LivenessProbe, "/healthz"), (container.StartupProbe, "/healthz") })
            {
                Assert.NotNull(probe?.HttpGet);
                Assert.Equal(path, probe.HttpGet.Path);
                Assert.Equal(healthPort, KubernetesManifests.DeclaredPort(container, probe.HttpGet.Port).ContainerPort);
            }
            // Liveness never checks the cluster: a silo that cannot reach Redis must not be restarted in a loop for it.
            Assert.NotEqual(container.ReadinessProbe.HttpGet.Path, container.LivenessProbe.HttpGet.Path);
        }
    }

    [Fact]
    public void Redis_is_probed_and_keeps_an_fsynced_append_only_file_on_a_persistent_volume()
    {
        var redis = Manifests.Redis;
        var container = Assert.Single(redis.Spec.Template.Spec.Containers);
        Assert.Contains("redis-cli ping", string.Join(' ', container.ReadinessProbe.Exec.Command), StringComparison.Ordinal);
        Assert.Equal(6379, KubernetesManifests.DeclaredPort(container, container.LivenessProbe.TcpSocket.Port).ContainerPort);
        var args = string.Join(' ', container.Args);
        Assert.Contains("--appendonly yes", args, StringComparison.Ordinal);
        Assert.Contains("--appendfsync always", args, StringComparison.Ordinal);
        var claim = Assert.Single(redis.Spec.VolumeClaimTemplates);
        Assert.Equal("/data", Assert.Single(container.VolumeMounts, m => m.Name == claim.Metadata.Name).MountPath);
        Assert.Equal(1, redis.Spec.Replicas);
    }

    [Theory]
    [InlineData("base")]
    [InlineData("sentinel")]
    public void Every_container_requests_and_limits_cpu_and_memory(string variant)
    {
        var manifests = Of(variant);
        foreach (var (workload, template) in manifests.PodTemplates)
        {
            foreach (var container in template.Spec.Containers)
            {
                foreach (var resource in new[] { "cpu", "memory" })
                {
                    Assert.True(container.Resources?.Requests?.ContainsKey(resource) == true, $"{workload}/{container.Name} requests no {resource}");
                    Assert.True(container.Resources?.Limits?.ContainsKey(resource) == true, $"{workload}/{container.Name} has no {resource} limit");
                }
                Assert.True(container.Resources.Requests["memory"].ToDecimal() <= container.Resources.Limits["memory"].ToDecimal(), $"{workload}: memory request over its limit");
            }
        }
    }

    [Fact]
    public void A_stopping_silo_pauses_then_has_its_whole_drain_within_the_grace_period()
    {
        foreach (var deployment in new[] { Manifests.Silos, Manifests.FrontEnds })
        {
            var preStop = KubernetesManifests.Container(deployment).Lifecycle?.PreStop?.Exec?.Command;
            Assert.NotNull(preStop);
            Assert.Equal("sleep", preStop[0]);
            var pause = int.Parse(Assert.Single(preStop.Skip(1)));
            Assert.InRange(pause, 1, 15);
            var grace = deployment.Spec.Template.Spec.TerminationGracePeriodSeconds;
            var needed = deployment == Manifests.Silos ? pause + DrainSeconds : pause;
            Assert.True(grace > needed, $"{deployment.Metadata.Name}: a grace period of {grace} s does not cover a {pause} s pause and {needed - pause} s of drain");
        }
        // Rolling updates add a silo before draining one, so sessions always have somewhere to go.
        var rollout = Manifests.Silos.Spec.Strategy.RollingUpdate;
        Assert.Equal("0", rollout.MaxUnavailable.ToString());
        Assert.Equal("1", rollout.MaxSurge.ToString());
    }

    [Theory]
    [InlineData("base")]
    [InlineData("sentinel")]
    public void Disruption_budgets_cover_silos_and_front_ends_one_pod_at_a_time(string variant)
    {
        var manifests = Of(variant);
        var budgets = manifests.OfKind<V1PodDisruptionBudget>().ToList();
        foreach (var deployment in new[] { manifests.Silos, manifests.FrontEnds })
        {
            var budget = Assert.Single(budgets, b => manifests.Selected(b.Spec.Selector.MatchLabels).Any(p => p.Template == deployment.Spec.Template));
            Assert.Equal(["Deployment/" + deployment.Metadata.Name], manifests.Selected(budget.Spec.Selector.MatchLabels).Select(p => p.Workload));
            Assert.Equal("1", budget.Spec.MaxUnavailable.ToString());
            Assert.Equal(deployment.Spec.Selector.MatchLabels, budget.Spec.Selector.MatchLabels);
        }
    }

    [Theory]
    [InlineData("base")]
    [InlineData("sentinel")]
    public void Every_selector_of_a_workload_matches_its_own_pods_only(string variant)
    {
        var manifests = Of(variant);
        foreach (var (workload, template) in manifests.PodTemplates)
        {
            var selector = workload.StartsWith("Deployment/", StringComparison.Ordinal)
                ? manifests.OfKind<V1Deployment>().Single(d => d.Spec.Template == template).Spec.Selector
                : manifests.OfKind<V1StatefulSet>().Single(s => s.Spec.Template == template).Spec.Selector;
            Assert.Equal([workload], manifests.Selected(selector.MatchLabels).Select(p => p.Workload));
        }
    }

    [Fact]
    public void Services_select_existing_pods_and_target_declared_container_ports()
    {
        var services = Manifests.OfKind<V1Service>().ToList();
        Assert.Equal(["redis", "session-grains"], services.Select(s => s.Metadata.Name).Order());
        foreach (var service in services)
        {
            var selected = Assert.Single(Manifests.Selected(service.Spec.Selector));
            var container = Assert.Single(selected.Template.Spec.Containers);
            Assert.All(service.Spec.Ports, p => KubernetesManifests.DeclaredPort(container, p.TargetPort));
            // Any front end serves any request: no stickiness.
            Assert.NotEqual("ClientIP", service.Spec.SessionAffinity);
        }
        Assert.Equal("Deployment/session-grains-frontend", Assert.Single(Manifests.Selected(Manifests.Named<V1Service>("session-grains").Spec.Selector)).Workload);
        // Silos and front ends reach Redis by the Service's name and port.
        var redis = Manifests.Named<V1Service>("redis");
        Assert.Equal($"redis:{Assert.Single(redis.Spec.Ports).Port}", Manifests.Named<V1ConfigMap>("session-grains-cluster").Data["Cluster__Redis"]);
    }

    [Fact]
    public void Silos_serve_on_the_ports_the_code_and_the_image_use()
    {
        var ports = KubernetesManifests.Container(Manifests.Silos).Ports.ToDictionary(p => p.Name, p => p.ContainerPort);
        var defaults = new SessionClusterOptions();
        Assert.Equal(defaults.SiloPort, ports["silo"]);
        Assert.Equal(defaults.GatewayPort, ports["gateway"]);
        var exposed = File.ReadLines(Path.Combine(RepositoryPaths.Root, "deploy", SiloDockerfile)).Single(l => l.StartsWith("EXPOSE ", StringComparison.Ordinal));
        Assert.Equal(exposed["EXPOSE ".Length..].Split(' ').Select(int.Parse).Order(), ports.Values.Order());
    }

    [Fact]
    public void Silos_give_Orleans_Kubernetes_hosting_their_pod_from_the_downward_API()
    {
        var template = Manifests.Silos.Spec.Template;
        var environment = KubernetesManifests.Container(Manifests.Silos).Env.ToList();
        string? FieldOf(string name) => Assert.Single(environment, e => e.Name == name).ValueFrom?.FieldRef?.FieldPath;

        Assert.Equal("metadata.name", FieldOf(KubernetesHostingOptions.PodNameEnvironmentVariable));
        Assert.Equal("metadata.namespace", FieldOf(KubernetesHostingOptions.PodNamespaceEnvironmentVariable));
        Assert.Equal("status.podIP", FieldOf(KubernetesHostingOptions.PodIPEnvironmentVariable));
        Assert.Equal($"metadata.labels['{KubernetesHostingOptions.ServiceIdLabel}']", FieldOf(KubernetesHostingOptions.ServiceIdEnvironmentVariable));
        Assert.Equal($"metadata.labels['{KubernetesHostingOptions.ClusterIdLabel}']", FieldOf(KubernetesHostingOptions.ClusterIdEnvironmentVariable));
        // The labels Orleans selects the cluster's pods by carry the ids the front ends use.
        var cluster = Manifests.Named<V1ConfigMap>("session-grains-cluster").Data;
        Assert.Equal(cluster["Cluster__ServiceId"], template.Metadata.Labels[KubernetesHostingOptions.ServiceIdLabel]);
        Assert.Equal(cluster["Cluster__ClusterId"], template.Metadata.Labels[KubernetesHostingOptions.ClusterIdLabel]);
        // $(POD_IP) is expanded only from a variable defined earlier in the list.
        var advertised = environment.FindIndex(e => e.Name == "Cluster__AdvertisedAddress");
        Assert.Equal("$(POD_IP)", environment[advertised].Value);
        Assert.True(environment.FindIndex(e => e.Name == KubernetesHostingOptions.PodIPEnvironmentVariable) < advertised);
        Assert.Equal("true", Assert.Single(environment, e => e.Name == "Cluster__Kubernetes").Value);
        Assert.DoesNotContain(KubernetesManifests.Container(Manifests.FrontEnds).Env, e => e.Name == "Cluster__Kubernetes");
    }

    [Theory]
    [InlineData("base")]
    [InlineData("sentinel")]
    public void A_silo_started_from_the_manifest_passes_its_own_start_up_checks_and_a_front_end_finds_it(string variant)
    {
        var manifests = Of(variant);
        var pod = new Dictionary<string, string>
        {
            ["metadata.name"] = "session-grains-silo-7d9c-x2k4p",
            ["metadata.namespace"] = "session-grains",
            ["status.podIP"] = "10.42.0.17",
        };
        foreach (var label in manifests.Silos.Spec.Template.Metadata.Labels) pod[$"metadata.labels['{label.Key}']"] = label.Value;

        var silo = PodConfiguration(manifests, manifests.Silos, pod);
        var siloCluster = silo.ReadClusterOptions();
        Assert.True(siloCluster.Kubernetes);
        Assert.Equal("10.42.0.17", siloCluster.AdvertisedAddress);
        Assert.Empty(KubernetesSiloHosting.Check(siloCluster, silo));

        var frontEnd = PodConfiguration(manifests, manifests.FrontEnds, pod).ReadClusterOptions();
        Assert.False(frontEnd.IsStandalone);
        Assert.Equal((siloCluster.Redis, siloCluster.ServiceId, siloCluster.ClusterId), (frontEnd.Redis, frontEnd.ServiceId, frontEnd.ClusterId));
    }

    [Fact]
    public void Silos_may_read_and_watch_pods_and_nothing_more()
    {
        var account = Manifests.Silos.Spec.Template.Spec.ServiceAccountName;
        Assert.NotNull(Manifests.Named<V1ServiceAccount>(account));
        var binding = Assert.Single(Manifests.OfKind<V1RoleBinding>(), b => b.Subjects.Any(s => s.Kind == "ServiceAccount" && s.Name == account));
        Assert.Equal("Role", binding.RoleRef.Kind);
        var rule = Assert.Single(Manifests.Named<V1Role>(binding.RoleRef.Name).Rules);
        Assert.Equal([""], rule.ApiGroups);
        Assert.Equal(["pods"], rule.Resources);
        // get: its own pod's labels; list and watch: the cluster's pods. No delete: KubernetesSiloHosting leaves
        // DeleteDefunctSiloPods off. No patch: the labels already carry the ids (checked above and at start).
        Assert.Equal(["get", "list", "watch"], rule.Verbs.Order());
        Assert.Empty(Manifests.OfKind<V1ClusterRole>());

        var frontEnds = Manifests.Named<V1ServiceAccount>(Manifests.FrontEnds.Spec.Template.Spec.ServiceAccountName);
        Assert.False(frontEnds.AutomountServiceAccountToken);
        Assert.DoesNotContain(Manifests.OfKind<V1RoleBinding>(), b => b.Subjects.Any(s => s.Name == frontEnds.Metadata.Name));
    }

    [Fact]
    public void Silos_and_front_ends_run_the_images_their_Dockerfiles_build()
    {
        foreach (var (deployment, dockerfile) in new[] { (Manifests.Silos, SiloDockerfile), (Manifests.FrontEnds, FrontEndDockerfile) })
        {
            var image = KubernetesManifests.DockerfileImage(dockerfile);
            var container = KubernetesManifests.Container(deployment);
            Assert.Equal(image, container.Image);
            Assert.True(Manifests.ImageTags.ContainsKey(image), $"kustomization.yaml does not set the tag of {image}");
            // A locally built image is used as it is; a new version needs a new tag (kustomization.yaml).
            Assert.Equal("IfNotPresent", container.ImagePullPolicy);
        }
        Assert.Equal(new[] { KubernetesManifests.DockerfileImage(SiloDockerfile), KubernetesManifests.DockerfileImage(FrontEndDockerfile) }.Order(), Manifests.ImageTags.Keys.Order());
    }

    [Fact]
    public void Silos_and_front_ends_log_at_the_level_shipped_in_their_images()
    {
        // One source: the appsettings.json published into the image, as for compose, the launcher and dotnet run.
        foreach (var deployment in new[] { Manifests.Silos, Manifests.FrontEnds })
        {
            var container = KubernetesManifests.Container(deployment);
            Assert.DoesNotContain(container.Env ?? [], e => e.Name.StartsWith("Logging__", StringComparison.OrdinalIgnoreCase));
            foreach (var source in container.EnvFrom ?? [])
                Assert.DoesNotContain(Manifests.Named<V1ConfigMap>(source.ConfigMapRef.Name).Data.Keys, k => k.StartsWith("Logging__", StringComparison.OrdinalIgnoreCase));
        }
    }

    [Fact]
    public void No_secret_is_committed_the_front_ends_read_theirs_from_a_secret_the_user_creates()
    {
        Assert.Empty(Manifests.OfKind<V1Secret>());
        var secretSettings = new[] { "Tokens__SigningKey", "Admin__ApiKey" };
        var frontEnd = KubernetesManifests.Container(Manifests.FrontEnds);
        foreach (var setting in secretSettings)
        {
            var variable = Assert.Single(frontEnd.Env, e => e.Name == setting);
            Assert.Null(variable.Value);
            Assert.Equal("session-grains-secrets", variable.ValueFrom?.SecretKeyRef?.Name);
            // Not optional: without the secret the pod does not start (the front end would refuse to anyway).
            Assert.NotEqual(true, variable.ValueFrom!.SecretKeyRef!.Optional);
        }
        foreach (var (workload, template) in Manifests.PodTemplates)
        {
            foreach (var variable in template.Spec.Containers.SelectMany(c => c.Env ?? []))
            {
                var secretLike = secretSettings.Contains(variable.Name) || variable.Name.Contains("Key", StringComparison.OrdinalIgnoreCase) || variable.Name.Contains("Password", StringComparison.OrdinalIgnoreCase);
                Assert.False(secretLike && variable.Value is not null, $"{workload} sets {variable.Name} to a committed value");
            }
        }
        Assert.All(Manifests.OfKind<V1ConfigMap>().SelectMany(c => c.Data), d =>
            Assert.DoesNotMatch("(?i)key|password|secret|token", d.Key));
        // The silos need no secret at all.
        Assert.DoesNotContain(KubernetesManifests.Container(Manifests.Silos).Env, e => e.ValueFrom?.SecretKeyRef is not null);
    }

    /// <summary>
    /// The configuration a container of <paramref name="deployment"/> would see: its ConfigMaps, then its variables with
    /// downward-API fields taken from <paramref name="pod"/> and <c>$(VAR)</c> references expanded, as the kubelet does.
    /// </summary>
    internal static IConfiguration PodConfiguration(KubernetesManifests manifests, V1Deployment deployment, IReadOnlyDictionary<string, string> pod)
    {
        var container = KubernetesManifests.Container(deployment);
        var values = new Dictionary<string, string?>();
        foreach (var source in container.EnvFrom ?? [])
            foreach (var (key, value) in manifests.Named<V1ConfigMap>(source.ConfigMapRef.Name).Data) values[key] = value;
        foreach (var variable in container.Env ?? [])
        {
            if (variable.ValueFrom?.SecretKeyRef is not null) continue;
            values[variable.Name] = variable.ValueFrom?.FieldRef is { } field
                ? pod[field.FieldPath]
                : System.Text.RegularExpressions.Regex.Replace(variable.Value, @"\$\((\w+)\)", m => values.GetValueOrDefault(m.Groups[1].Value) ?? m.Value);
        }
        // Environment variables reach .NET configuration with "__" as the section separator.
        return new ConfigurationBuilder()
            .AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key.Replace("__", ":", StringComparison.Ordinal), v.Value)))
            .Build();
    }
}
