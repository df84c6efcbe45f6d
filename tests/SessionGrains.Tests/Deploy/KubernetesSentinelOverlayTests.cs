using System.Net;
using System.Text.RegularExpressions;
using k8s;
using k8s.Models;
using SessionGrains.Hosting;
using StackExchange.Redis;
using Xunit;

namespace SessionGrains.Tests.Deploy;

/// <summary>
/// deploy/kubernetes-sentinel: the base with its single Redis replaced by three Redis nodes and three sentinels. Checked
/// as the base is (KubernetesManifestTests runs its generic checks on both): every object loads strictly, and every
/// address the configuration and the start scripts use names a pod of a headless Service on a declared port.
/// </summary>
public sealed partial class KubernetesSentinelOverlayTests
{
    private static readonly KubernetesManifests Manifests = KubernetesManifests.Sentinel;
    private static V1StatefulSet Nodes => Manifests.Named<V1StatefulSet>("redis-node");
    private static V1StatefulSet Sentinels => Manifests.Named<V1StatefulSet>("redis-sentinel");

    [Fact]
    public void The_single_redis_is_replaced_by_a_primary_two_replicas_and_three_sentinels()
    {
        Assert.DoesNotContain(Manifests.OfKind<V1StatefulSet>(), s => s.Metadata.Name == "redis");
        Assert.DoesNotContain(Manifests.OfKind<V1Service>(), s => s.Metadata.Name == "redis");
        Assert.Equal(3, Nodes.Spec.Replicas);
        Assert.Equal(3, Sentinels.Spec.Replicas);
        // The rest of the base is unchanged.
        var kept = KubernetesManifests.All.Objects.Cast<IKubernetesObject<V1ObjectMeta>>().Where(o => o.Metadata.Name != "redis")
            .Select(o => o.Kind + "/" + o.Metadata.Name);
        Assert.Superset(kept.ToHashSet(), Manifests.Objects.Cast<IKubernetesObject<V1ObjectMeta>>().Select(o => o.Kind + "/" + o.Metadata.Name).ToHashSet());
        Assert.All(Manifests.Objects.Cast<IMetadata<V1ObjectMeta>>().Where(o => o is not V1Namespace), o => Assert.Null(o.Metadata.NamespaceProperty));
        Assert.Contains("namespace: session-grains", File.ReadAllText(Path.Combine(KubernetesManifests.SentinelFolder, "kustomization.yaml")), StringComparison.Ordinal);
    }

    [Fact]
    public void Silos_and_front_ends_ask_every_sentinel_for_the_primary_the_sentinels_monitor()
    {
        var redis = ConfigurationOptions.Parse(Manifests.Named<V1ConfigMap>("session-grains-cluster").Data["Cluster__Redis"]);
        var addresses = redis.EndPoints.Cast<DnsEndPoint>().Select(e => (e.Host, e.Port)).ToList();
        Assert.Equal(Enumerable.Range(0, Sentinels.Spec.Replicas!.Value).Select(i => $"redis-sentinel-{i}.redis-sentinel"), addresses.Select(a => a.Host).Order());
        Assert.All(addresses, a => Assert.Same(Sentinels, PodBehind(a.Host, a.Port)));
        // Writes wait for one replica by default with a Sentinel configuration.
        Assert.Equal(1, ReplicaAcks.Read(new Microsoft.Extensions.Configuration.ConfigurationBuilder().Build(), redis).Min);

        var monitor = Monitor().Match(Script(Sentinels));
        Assert.True(monitor.Success, "the sentinels monitor nothing");
        Assert.Equal(redis.ServiceName, monitor.Groups["name"].Value);
        Assert.Same(Nodes, PodBehind(monitor.Groups["host"].Value, int.Parse(monitor.Groups["port"].Value)));
        // A majority of the sentinels agrees before a failover.
        Assert.Equal(Sentinels.Spec.Replicas / 2 + 1, int.Parse(monitor.Groups["quorum"].Value));
    }

    [Fact]
    public void Nodes_and_sentinels_announce_their_pod_names_and_nodes_keep_an_fsynced_append_only_file()
    {
        var node = Script(Nodes);
        Assert.Contains("--appendonly yes --appendfsync always", node, StringComparison.Ordinal);
        Assert.Contains($"self=\"$HOSTNAME.{Nodes.Spec.ServiceName}\"", node, StringComparison.Ordinal);
        Assert.Contains("--replica-announce-ip \"$self\"", node, StringComparison.Ordinal);
        // The first start's primary and the sentinels a starting node asks are pods of the two sets.
        Assert.Same(Nodes, PodBehind(Regex.Match(node, @"primary=(redis-node-\d\.redis-node);").Groups[1].Value, 6379));
        Assert.Same(Sentinels, PodBehind("redis-sentinel-0.redis-sentinel", int.Parse(Regex.Match(node, @"-p (\d+) --raw sentinel").Groups[1].Value)));
        var claim = Assert.Single(Nodes.Spec.VolumeClaimTemplates);
        Assert.Equal("/data", Assert.Single(Assert.Single(Nodes.Spec.Template.Spec.Containers).VolumeMounts, m => m.Name == claim.Metadata.Name).MountPath);

        var sentinel = Script(Sentinels);
        Assert.Contains("'sentinel resolve-hostnames yes'", sentinel, StringComparison.Ordinal);
        Assert.Contains("'sentinel announce-hostnames yes'", sentinel, StringComparison.Ordinal);
        Assert.Contains($"\"sentinel announce-ip $HOSTNAME.{Sentinels.Spec.ServiceName}\"", sentinel, StringComparison.Ordinal);
        // Sentinel rewrites its file: it is written at start into a mounted emptyDir.
        var file = Regex.Match(sentinel, @"> (\S+)/sentinel\.conf").Groups[1].Value;
        var mount = Assert.Single(Assert.Single(Sentinels.Spec.Template.Spec.Containers).VolumeMounts, m => m.MountPath == file);
        Assert.NotNull(Assert.Single(Sentinels.Spec.Template.Spec.Volumes, v => v.Name == mount.Name).EmptyDir);
    }

    [Fact]
    public void Redis_nodes_and_sentinels_are_probed_and_disrupted_one_at_a_time()
    {
        foreach (var set in new[] { Nodes, Sentinels })
        {
            var container = Assert.Single(set.Spec.Template.Spec.Containers);
            Assert.Contains("ping", string.Join(' ', container.ReadinessProbe.Exec.Command), StringComparison.Ordinal);
            Assert.NotNull(KubernetesManifests.DeclaredPort(container, container.LivenessProbe.TcpSocket.Port));
            var budget = Assert.Single(Manifests.OfKind<V1PodDisruptionBudget>(), b => b.Spec.Selector.MatchLabels.SequenceEqual(set.Spec.Selector.MatchLabels));
            Assert.Equal("1", budget.Spec.MaxUnavailable.ToString());
        }
    }

    /// <summary>
    /// The StatefulSet whose pod <paramref name="host"/> (<c>POD.SERVICE</c>) names: SERVICE is a headless Service that
    /// publishes pods before they are ready, the set's governing Service, selecting the set's pods; the ordinal exists,
    /// and <paramref name="port"/> is a port of the Service targeting a declared container port.
    /// </summary>
    private static V1StatefulSet PodBehind(string host, int port)
    {
        var parts = host.Split('.');
        Assert.Equal(2, parts.Length);
        var service = Manifests.Named<V1Service>(parts[1]);
        Assert.Equal("None", service.Spec.ClusterIP);
        Assert.True(service.Spec.PublishNotReadyAddresses);
        var set = Assert.Single(Manifests.OfKind<V1StatefulSet>(), s => s.Spec.ServiceName == service.Metadata.Name);
        Assert.Equal(["StatefulSet/" + set.Metadata.Name], Manifests.Selected(service.Spec.Selector).Select(p => p.Workload));
        var ordinal = parts[0][(set.Metadata.Name.Length + 1)..];
        Assert.StartsWith(set.Metadata.Name + "-", parts[0], StringComparison.Ordinal);
        Assert.InRange(int.Parse(ordinal), 0, set.Spec.Replicas!.Value - 1);
        var servicePort = Assert.Single(service.Spec.Ports, p => p.Port == port);
        Assert.Equal(port, KubernetesManifests.DeclaredPort(Assert.Single(set.Spec.Template.Spec.Containers), servicePort.TargetPort).ContainerPort);
        return set;
    }

    private static string Script(V1StatefulSet set)
    {
        var command = Assert.Single(set.Spec.Template.Spec.Containers).Command;
        Assert.Equal(["sh", "-c"], command.Take(2));
        return command[2];
    }

    [GeneratedRegex(@"'sentinel monitor (?<name>\S+) (?<host>\S+) (?<port>\d+) (?<quorum>\d+)'")]
    private static partial Regex Monitor();
}
