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

    /// <summary>The Sentinel overlay: deploy/kubernetes with its single Redis replaced by nodes and sentinels.</summary>
    public static string SentinelFolder { get; } = Path.Combine(RepositoryPaths.Root, "deploy", "kubernetes-sentinel");

    private static readonly Lazy<KubernetesManifests> Loaded = new(() => new KubernetesManifests(Folder));
    private static readonly Lazy<KubernetesManifests> SentinelLoaded = new(() => new KubernetesManifests(SentinelFolder));

    public static KubernetesManifests All => Loaded.Value;

    public static KubernetesManifests Sentinel => SentinelLoaded.Value;

    /// <summary>The resource files kustomization.yaml lists, in its order.</summary>
    public IReadOnlyList<string> Resources { get; }

    /// <summary>The <c>images</c> entries of kustomization.yaml, by name.</summary>
    public IReadOnlyDictionary<string, string> ImageTags { get; }

    public IReadOnlyList<object> Objects { get; }

    /// <summary>
    /// The kustomization in <paramref name="folder"/>: its resource files, and the objects of a resource that is a folder
    /// (a base) loaded the same way. Of kustomize's patches, the two kinds the overlays use are applied: <c>$patch:
    /// delete</c> of an object by kind and name, and a ConfigMap's <c>data</c> merged key by key; any other fails.
    /// </summary>
    private KubernetesManifests(string folder)
    {
        var root = LoadYaml(Path.Combine(folder, "kustomization.yaml"));
        Resources = ((YamlSequenceNode)root["resources"]).Select(r => ((YamlScalarNode)r).Value!).ToList();
        var tags = new Dictionary<string, string>();
        var objects = new List<object>();
        foreach (var resource in Resources.Select(r => Path.GetFullPath(Path.Combine(folder, r))))
        {
            if (Directory.Exists(resource))
            {
                var bases = new KubernetesManifests(resource);
                objects.AddRange(bases.Objects);
                foreach (var (name, tag) in bases.ImageTags) tags[name] = tag;
            }
            else objects.AddRange(KubernetesYaml.LoadAllFromString(File.ReadAllText(resource), strict: true));
        }
        if (root.Children.TryGetValue(new YamlScalarNode("images"), out var images))
            foreach (var image in ((YamlSequenceNode)images).Cast<YamlMappingNode>()) tags[((YamlScalarNode)image["name"]).Value!] = ((YamlScalarNode)image["newTag"]).Value!;
        if (root.Children.TryGetValue(new YamlScalarNode("patches"), out var patches))
            foreach (var patch in ((YamlSequenceNode)patches).Cast<YamlMappingNode>()) Patch(objects, LoadYaml(Path.Combine(folder, ((YamlScalarNode)patch["path"]).Value!)));
        ImageTags = tags;
        Objects = objects;
    }

    private static YamlMappingNode LoadYaml(string path)
    {
        var yaml = new YamlStream();
        yaml.Load(new StringReader(File.ReadAllText(path)));
        return (YamlMappingNode)yaml.Documents[0].RootNode;
    }

    private static void Patch(List<object> objects, YamlMappingNode patch)
    {
        var kind = ((YamlScalarNode)patch["kind"]).Value;
        var name = ((YamlScalarNode)((YamlMappingNode)patch["metadata"])["name"]).Value;
        var target = Assert.Single(objects, o => o is IKubernetesObject<V1ObjectMeta> k && k.Kind == kind && k.Metadata.Name == name);
        if (patch.Children.TryGetValue(new YamlScalarNode("$patch"), out var directive) && ((YamlScalarNode)directive).Value == "delete")
            objects.Remove(target);
        else if (target is V1ConfigMap configMap && patch.Children.Keys.Select(k => ((YamlScalarNode)k).Value).All(k => k is "apiVersion" or "kind" or "metadata" or "data"))
            foreach (var (key, value) in (YamlMappingNode)patch["data"]) configMap.Data[((YamlScalarNode)key).Value!] = ((YamlScalarNode)value).Value!;
        else
            throw new Xunit.Sdk.XunitException($"patch of {kind}/{name}: only $patch: delete and ConfigMap data are applied here");
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
