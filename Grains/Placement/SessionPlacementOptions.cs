namespace SessionGrains.Grains.Placement;

/// <summary>How live sessions move between silos in cluster mode, bound from <c>Cluster:Placement</c>.</summary>
public sealed class SessionPlacementOptions
{
    public const string Section = "Cluster:Placement";

    /// <summary>Move live sessions to the silo they now belong on when a silo joins or leaves (on by default).</summary>
    public bool Rebalance { get; set; } = true;

    /// <summary>
    /// Pace of rebalancing on each silo: live moves started per second. A join under load moves a quarter of the
    /// sessions of a 3-silo cluster; at 200 a second per silo, 3,000 live sessions are balanced in under 2 s.
    /// </summary>
    public int MovesPerSecond { get; set; } = 200;

    /// <summary>Longest time a silo that received SIGTERM spends handing its sessions over before it stops anyway.</summary>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>Moves a draining silo keeps under way at once.</summary>
    public int DrainConcurrency { get; set; } = 64;
}
