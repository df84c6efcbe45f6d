namespace SessionGrains.Bench.LoadGen.Load;

/// <summary>
/// The measured window of one run, as Stopwatch timestamps: closed (no request counts, none is stopped) until
/// <see cref="Open"/>, which the <see cref="WindowController"/> calls once the warm-up is over.
/// </summary>
public sealed class MeasureWindow
{
    private long _from = long.MaxValue;
    private long _to = long.MaxValue;

    public long From => Volatile.Read(ref _from);

    public long To => Volatile.Read(ref _to);

    /// <summary>True when <paramref name="timestamp"/> falls in the window (never before it opened).</summary>
    public bool Contains(long timestamp) => timestamp >= From && timestamp < To;

    public void Open(long from, long to)
    {
        Volatile.Write(ref _to, to);
        Volatile.Write(ref _from, from);
    }
}
