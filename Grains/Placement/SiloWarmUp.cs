using System.Diagnostics;
using Microsoft.Extensions.Logging;
using SessionGrains.Interfaces;

namespace SessionGrains.Grains.Placement;

/// <summary>
/// A silo that has just started is cold: the first session activations on it (code compiled on first use, the first
/// Redis scripts of storage and of the session directory) take a second or more on a busy machine. Sessions moved to it
/// then, and the calls that follow them, would wait that long. So a starting silo first activates a few sessions of its
/// own (ids no session has) and reads them, and only then counts as warm: other silos move sessions to it only once it
/// says so (<see cref="ISessionRouter.Warm"/>, asked by <see cref="SessionRehoming"/>), and its <c>/readyz</c> answers
/// 503 until then.
/// </summary>
public sealed partial class SiloWarmUp(IGrainFactory grains, ILogger<SiloWarmUp> logger) : ILifecycleParticipant<ISiloLifecycle>
{
    /// <summary>Session activations made to warm up; the first is the slow one, the rest cover concurrent first calls.</summary>
    private const int Activations = 8;

    /// <summary>A warm-up that takes longer than this is given up on: the silo counts as warm anyway (it is then merely slow).</summary>
    private static readonly TimeSpan GiveUpAfter = TimeSpan.FromSeconds(10);

    private volatile bool _warm;

    /// <summary>Whether this silo has warmed up and takes sessions moved to it.</summary>
    public bool IsWarm => _warm;

    void ILifecycleParticipant<ISiloLifecycle>.Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(SiloWarmUp), ServiceLifecycleStage.Active, started =>
        {
            Task.Run(WarmUp).Ignore();
            return Task.CompletedTask;
        }, _ => Task.CompletedTask);

    private async Task WarmUp()
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            // Called from outside any grain on an active silo, a session grain (PreferLocalPlacement) is activated here.
            await Task.WhenAll(Enumerable.Range(0, Activations).Select(_ => grains.GetGrain<ISessionGrain>(UnusedId()).Get())).WaitAsync(GiveUpAfter);
        }
        catch (Exception ex)
        {
            LogWarmUpFailed(ex);
        }
        _warm = true;
        LogWarm(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }

    /// <summary>A valid session id no session has (front ends make ids from 16 random bytes; one starting "warmup--" has a chance of 2^-48).</summary>
    private static string UnusedId()
    {
        var id = "warmup--" + Guid.NewGuid().ToString("N");
        return id[..SessionKeys.IdLength].PadRight(SessionKeys.IdLength, '0');
    }

    [LoggerMessage(EventId = 4206, Level = LogLevel.Information, Message = "Warmed up in {Milliseconds:F0} ms: sessions may move here")]
    private partial void LogWarm(double milliseconds);

    [LoggerMessage(EventId = 4207, Level = LogLevel.Warning, Message = "Warm-up failed; sessions may move here anyway")]
    private partial void LogWarmUpFailed(Exception ex);
}
