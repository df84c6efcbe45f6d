namespace SessionGrains.Client.Admin;

/// <summary>The silos of the cluster, the session grains active on each, and how evenly they are spread.</summary>
public sealed record ClusterResponse(IReadOnlyList<SiloResponse> Silos, int TotalSessionActivations, BalanceResponse Balance);

/// <summary>
/// How evenly live sessions are spread over the active silos: the mean per silo and the largest deviation from it,
/// as a fraction of the mean (0.1 = the fullest or emptiest silo is 10% off the mean).
/// </summary>
public sealed record BalanceResponse(int ActiveSilos, double MeanSessions, double LargestDeviation)
{
    public static BalanceResponse Of(IReadOnlyList<SiloResponse> silos)
    {
        var active = silos.Where(s => s.Status == "Active").Select(s => (double)s.SessionActivations).ToList();
        if (active.Count == 0) return new BalanceResponse(0, 0, 0);
        var mean = active.Average();
        var deviation = mean == 0 ? 0 : active.Max(n => Math.Abs(n - mean)) / mean;
        return new BalanceResponse(active.Count, Math.Round(mean, 1), Math.Round(deviation, 3));
    }
}
