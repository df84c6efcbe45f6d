namespace SessionGrains.Grains.Placement;

/// <summary>
/// The pace of a rebalancing round: moves start at an eighth of the full rate and the rate doubles every second until
/// it reaches <c>MovesPerSecond</c> (after three seconds), so a silo that has just joined receives its first sessions
/// slowly while it is still filling its caches and connection pools, and the bulk at the full rate. <see cref="Due"/> is
/// when the k-th move (from 0) starts: the moves due by time t are the integral of the rate,
/// r0 (2^t - 1) / ln 2 while it doubles, then the full rate.
/// </summary>
public sealed class MoveRamp(int movesPerSecond)
{
    private const double Doublings = 3;
    private readonly double _full = movesPerSecond;
    private readonly double _start = movesPerSecond / Math.Pow(2, Doublings);

    /// <summary>Moves started while the rate is still doubling.</summary>
    private double RampMoves => _start * (Math.Pow(2, Doublings) - 1) / Math.Log(2);

    public TimeSpan Due(int k)
    {
        var seconds = k < RampMoves
            ? Math.Log2(1 + k * Math.Log(2) / _start)
            : Doublings + (k - RampMoves) / _full;
        return TimeSpan.FromSeconds(seconds);
    }
}
