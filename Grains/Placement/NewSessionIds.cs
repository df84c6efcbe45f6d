using System.Collections.Concurrent;
using System.Diagnostics;
using SessionGrains.Interfaces;

namespace SessionGrains.Grains.Placement;

/// <summary>
/// The ids of sessions about to be created in this silo's process (<see cref="INewSessionIds"/>), each taken by the
/// directory lookup that placing its grain makes. An id whose create never ran (a call that failed first) is dropped
/// after a minute, once the set is large (looked at no more than once a second).
/// </summary>
public sealed class NewSessionIds : INewSessionIds
{
    private const int PruneAbove = 1024;
    private static readonly long MaxAge = Stopwatch.Frequency * 60;
    private readonly ConcurrentDictionary<string, long> _ids = new(StringComparer.Ordinal);
    private long _nextPrune;

    public void Minted(string sessionId)
    {
        // At most once a second: under a burst of creates in flight the set is large and young, and a walk finds nothing.
        var now = Stopwatch.GetTimestamp();
        if (now >= Volatile.Read(ref _nextPrune) && _ids.Count > PruneAbove)
        {
            Volatile.Write(ref _nextPrune, now + Stopwatch.Frequency);
            Prune();
        }
        _ids[sessionId] = Stopwatch.GetTimestamp();
    }

    /// <summary>Whether <paramref name="grainId"/> is a session minted here and not looked up yet; it no longer is afterwards.</summary>
    public bool Take(GrainId grainId) => !_ids.IsEmpty && _ids.TryRemove(grainId.Key.ToString(), out _);

    private void Prune()
    {
        var oldest = Stopwatch.GetTimestamp() - MaxAge;
        foreach (var (id, minted) in _ids)
        {
            if (minted < oldest) _ids.TryRemove(id, out _);
        }
    }
}
