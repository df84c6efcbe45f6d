namespace SessionGrains.Client.Admin;

/// <summary>The silos of the cluster and the session grains active on each.</summary>
public sealed record ClusterResponse(IReadOnlyList<SiloResponse> Silos, int TotalSessionActivations);
