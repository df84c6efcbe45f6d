using Microsoft.Extensions.Options;
using Orleans.Hosting.Kubernetes;
using SessionGrains.Hosting;

namespace SessionGrains.Silo;

/// <summary>
/// <c>Cluster:Kubernetes=true</c>: Orleans' Kubernetes hosting on top of the Redis membership. The silo is named after
/// its pod, and the silos that watch Kubernetes (two) declare dead a silo whose pod was deleted instead of waiting for
/// missed probes. The pod describes itself through environment variables (deploy/kubernetes/silo.yaml fills them from
/// the downward API); they are checked against the <c>Cluster</c> section at start, because a silo whose cluster id
/// differs from the front ends' would serve no one, and one whose pod labels differ would need rights to relabel it.
/// Off (the default), nothing changes.
/// </summary>
public static class KubernetesSiloHosting
{
    public static ISiloBuilder UseKubernetesHostingIfEnabled(this ISiloBuilder silo, IConfiguration configuration)
    {
        var cluster = configuration.ReadClusterOptions();
        if (!cluster.Kubernetes) return silo;
        var failures = Check(cluster, configuration);
        if (failures.Count > 0) throw new OptionsValidationException(SessionClusterOptions.Section, typeof(SessionClusterOptions), failures);
        // DeleteDefunctSiloPods stays off: a silo whose container the kubelet restarted keeps its pod, and deleting
        // that pod when the previous generation is declared dead would kill the new one too.
        return silo.UseKubernetesHosting();
    }

    /// <summary>Every missing or inconsistent pod variable, by name.</summary>
    public static List<string> Check(SessionClusterOptions cluster, IConfiguration configuration)
    {
        var failures = new List<string>();
        void Require(string variable, string meaning, string? expected = null)
        {
            var value = configuration[variable];
            if (string.IsNullOrWhiteSpace(value)) failures.Add($"Cluster:Kubernetes needs the environment variable {variable} ({meaning}).");
            else if (expected is not null && !string.Equals(value, expected, StringComparison.Ordinal))
                failures.Add($"{variable} '{value}' differs from {meaning} '{expected}'.");
        }
        Require(KubernetesHostingOptions.PodNameEnvironmentVariable, "the pod's name");
        Require(KubernetesHostingOptions.PodNamespaceEnvironmentVariable, "the pod's namespace");
        Require(KubernetesHostingOptions.PodIPEnvironmentVariable, "Cluster:AdvertisedAddress", cluster.AdvertisedAddress);
        Require(KubernetesHostingOptions.ServiceIdEnvironmentVariable, "Cluster:ServiceId", cluster.ServiceId);
        Require(KubernetesHostingOptions.ClusterIdEnvironmentVariable, "Cluster:ClusterId", cluster.ClusterId);
        return failures;
    }
}
