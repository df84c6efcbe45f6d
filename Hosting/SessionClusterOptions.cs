namespace SessionGrains.Hosting;

/// <summary>How silos and front ends find each other, bound from the <c>Cluster</c> section.</summary>
public sealed class SessionClusterOptions
{
    public const string Section = "Cluster";

    /// <summary>Redis connection string (StackExchange.Redis syntax). Set: cluster mode. Empty: standalone mode.</summary>
    public string? Redis { get; set; }

    /// <summary>Identifies the service's persisted data; keep it stable across deployments.</summary>
    public string ServiceId { get; set; } = "session-grains";

    /// <summary>Identifies one deployment; silos and front ends with the same id form a cluster.</summary>
    public string ClusterId { get; set; } = "session-grains";

    /// <summary>Silo-to-silo port.</summary>
    public int SiloPort { get; set; } = 11111;

    /// <summary>Port front ends (Orleans clients) connect to.</summary>
    public int GatewayPort { get; set; } = 30000;

    /// <summary>Address this silo advertises to the cluster (cluster mode): an IP address.</summary>
    public string AdvertisedAddress { get; set; } = "127.0.0.1";

    /// <summary>Folder for standalone data (SQLite file, signing key), relative to the content root.</summary>
    public string DataPath { get; set; } = "data";

    /// <summary>
    /// The silo runs in a Kubernetes pod (deploy/kubernetes/): Orleans' Kubernetes hosting names it after its pod and
    /// declares dead the silos whose pod is gone. Membership stays in Redis, so it needs cluster mode. Default: off.
    /// </summary>
    public bool Kubernetes { get; set; }

    /// <summary>
    /// Cluster mode: the front end runs a silo of the cluster in its own process (a combined node), so a request whose
    /// session lives here takes no network hop. Default: off (a front end is an Orleans client of the silos).
    /// </summary>
    public bool CoHostSilo { get; set; }

    public bool IsStandalone => string.IsNullOrWhiteSpace(Redis);

    /// <summary>This process runs a silo beside its front end: standalone, or a combined node of a cluster.</summary>
    public bool HostsSilo => IsStandalone || CoHostSilo;
}
