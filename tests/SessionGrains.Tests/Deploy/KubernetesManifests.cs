using System.Text.RegularExpressions;
using k8s;
using k8s.Models;
using SessionGrains.Tests.Infrastructure;
using Xunit;
using YamlDotNet.RepresentationModel;

namespace SessionGrains.Tests.Deploy;

/// <summary>
/// deploy/kubernetes/ as Kubernetes would receive it: every file its kustomization.yaml lists, loaded strictly (an
/// unknown field fails) into the Kubernetes API's typed objects by the official .NET client. No cluster is needed.
/// </summary>
public sealed partial class KubernetesManifests
{
    public static string Folder { get; } = Path.Combine(RepositoryPaths.Root, "deploy", "kubernetes");

    private static readonly Lazy<KubernetesManifests> Loaded = new(() => new KubernetesManifests());

    public static KubernetesManifests All => Loaded.Value;

    /// <summary>The resource files kustomization.yaml lists, in its order.</summary>
    public IReadOnlyList<string> Resources { get; }

    /// <summary>The <c>images</c> entries of kustomization.yaml, by name.</summary>
    public IReadOnlyDictionary<string, string> ImageTags { get; }

    public IReadOnlyList<object> Objects { get; }

    private KubernetesManifests()
    {
        var kustomization = new YamlStream();
        kustomization.Load(new StringReader(File.ReadAllText(Path.Combine(Folder, "kustomization.yaml"))));
        var root = (YamlMappingNode)kustomization.Documents[0].RootNode;
        Resources = ((YamlSequenceNode)root["resources"]).Select(r => ((YamlScalarNode)r).Value!).ToList();
        ImageTags = ((YamlSequenceNode)root["images"]).Cast<YamlMappingNode>()
            .ToDictionary(i => ((YamlScalarNode)i["name"]).Value!, i => ((YamlScalarNode)i["newTag"]).Value!);
        Objects = Resources.SelectMany(file => KubernetesYaml.LoadAllFromString(File.ReadAllText(Path.Combine(Folder, file)), strict: true)).ToList();
    }

    public IEnumerable<T> OfKind<T>() => Objects.OfType<T>();

    public T Named<T>(string name) where T : IMetadata<V1ObjectMeta> =>
        Assert.Single(OfKind<T>(), o => o.Metadata.Name == name);

    public V1Deployment Silos => Named<V1Deployment>("session-grains-silo");

    public V1Deployment FrontEnds => Named<V1Deployment>("session-grains-frontend");

    public V1StatefulSet Redis => Named<V1StatefulSet>("redis");

    /// <summary>Every pod template with its owner's kind and name: what Services, budgets and policies select.</summary>
    public IEnumerable<(string Workload, V1PodTemplateSpec Template)> PodTemplates =>
        OfKind<V1Deployment>().Select(d => ("Deployment/" + d.Metadata.Name, d.Spec.Template))
            .Concat(OfKind<V1StatefulSet>().Select(s => ("StatefulSet/" + s.Metadata.Name, s.Spec.Template)));

    /// <summary>Pod templates whose labels carry every one of <paramref name="matchLabels"/>.</summary>
    public List<(string Workload, V1PodTemplateSpec Template)> Selected(IDictionary<string, string> matchLabels) =>
        PodTemplates.Where(p => matchLabels.All(l => p.Template.Metadata.Labels.TryGetValue(l.Key, out var v) && v == l.Value)).ToList();

    public static V1Container Container(V1Deployment deployment) => Assert.Single(deployment.Spec.Template.Spec.Containers);

    /// <summary>The container port a probe or Service names, by name or number; fails when none is declared.</summary>
    public static V1ContainerPort DeclaredPort(V1Container container, IntOrString port)
    {
        var text = port.ToString();
        return Assert.Single(container.Ports, p => p.Name == text || p.ContainerPort.ToString() == text);
    }

    /// <summary>The image name a Dockerfile's header tells to build (<c>docker build -f deploy/X.Dockerfile -t NAME .</c>).</summary>
    public static string DockerfileImage(string dockerfile) =>
        DockerBuildTag().Match(File.ReadAllText(Path.Combine(RepositoryPaths.Root, "deploy", dockerfile))) is { Success: true } m
            ? m.Groups[1].Value
            : throw new Xunit.Sdk.XunitException($"deploy/{dockerfile} names no image (docker build ... -t NAME)");

    /// <summary>The port a Dockerfile's HEALTHCHECK asks <c>/healthz</c> on: where the host serves its health endpoints.</summary>
    public static int DockerfileHealthPort(string dockerfile) =>
        HealthCheckPort().Match(File.ReadAllText(Path.Combine(RepositoryPaths.Root, "deploy", dockerfile))) is { Success: true } m
            ? int.Parse(m.Groups[1].Value)
            : throw new Xunit.Sdk.XunitException($"deploy/{dockerfile} has no HEALTHCHECK on /dev/tcp/127.0.0.1/PORT");

    [GeneratedRegex(@"docker build -f deploy/\S+ -t (\S+) \.")]
    private static partial Regex DockerBuildTag();

    [GeneratedRegex(@"HEALTHCHECK[^\n]*\n?[^\n]*/dev/tcp/127\.0\.0\.1/(\d+)")]
    private static partial Regex HealthCheckPort();
}
