using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Orleans.Runtime.Placement;
using Microsoft.Extensions.Options;
using Orleans.Serialization.TypeSystem;
using SessionGrains.Interfaces;

namespace SessionGrains.Grains.Placement;

/// <summary>
/// Moves live sessions, with Orleans' live grain migration, to the silo <see cref="SiloHomes"/> says they belong on.
/// When membership changes (a silo joined), each silo moves the sessions that now belong elsewhere, at a bounded pace.
/// When the silo stops (SIGTERM), it first drains: it stops being anyone's home, hands every session it holds to the
/// silo that takes over its share, and only then lets Orleans leave membership and deactivate what is left.
/// </summary>
public sealed partial class SessionRehoming(
    SiloHomes homes, IGrainFactory grains, IOptions<SessionPlacementOptions> options, SessionMetrics metrics, ILogger<SessionRehoming> logger)
    : ILifecycleParticipant<ISiloLifecycle>
{
    private static readonly string SessionGrainType = RuntimeTypeNameFormatter.Format(typeof(SessionGrain));
    private readonly SessionPlacementOptions _options = options.Value;
    private readonly CancellationTokenSource _stopping = new();
    private readonly SemaphoreSlim _changed = new(0);

    /// <summary>A draining silo asks a session that is still here again after this long (its first move may have failed).</summary>
    private const long AskAgainAfterMs = 3000;
    private Task _rebalancing = Task.CompletedTask;

    void ILifecycleParticipant<ISiloLifecycle>.Participate(ISiloLifecycle lifecycle) =>
        // Stopped first (the highest stage stops first): the drain runs while the silo is still a full member.
        lifecycle.Subscribe(nameof(SessionRehoming), ServiceLifecycleStage.Active + 1, _ =>
        {
            if (_options.Rebalance)
            {
                homes.Changed += () => _changed.Release();
                _rebalancing = Task.Run(Rebalance);
            }
            return Task.CompletedTask;
        }, Drain);

    /// <summary>After each change of homes (settled for half a second), moves the sessions that belong elsewhere.</summary>
    private async Task Rebalance()
    {
        try
        {
            while (true)
            {
                await _changed.WaitAsync(_stopping.Token);
                await Task.Delay(TimeSpan.FromMilliseconds(500), _stopping.Token);
                while (_changed.Wait(0))
                {
                }
                if (homes.Draining) return;
                try
                {
                    await MoveAway(paced: true, _stopping.Token);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    LogRebalanceFailed(ex);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task Drain(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        await _rebalancing.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        homes.StartDraining();
        if (homes.Count == 0) return;
        var started = Stopwatch.GetTimestamp();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_options.DrainTimeout);
        var moved = 0;
        var left = 0;
        var asked = new Dictionary<string, long>();
        try
        {
            // Moves start when an activation is idle and finish a little later; ask again only what is still here a
            // while after it was asked (a second request to a session in flight would only chase it to its new silo).
            while (true)
            {
                var (newlyAsked, remaining) = await MoveAway(paced: false, deadline.Token, asked);
                moved += newlyAsked;
                left = remaining;
                if (remaining == 0) break;
                await Task.Delay(TimeSpan.FromMilliseconds(100), deadline.Token);
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception ex)
        {
            LogDrainFailed(ex);
        }
        LogDrained(moved, left, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }

    /// <summary>Asks every local session that belongs on another silo to move there; answers how many were asked and how many are still here.</summary>
    private async Task<(int Asked, int Remaining)> MoveAway(bool paced, CancellationToken cancellationToken, Dictionary<string, long>? asked = null)
    {
        var local = await LocalSessions();
        var moves = new List<(string Id, SiloAddress Target)>();
        var now = Environment.TickCount64;
        foreach (var id in local)
        {
            if (asked is not null && asked.TryGetValue(id, out var at) && now - at < AskAgainAfterMs) continue;
            if (homes.HomeOf(id) is { } home && !home.Equals(homes.Self)) moves.Add((id, home));
            if (asked is not null) asked[id] = now;
        }
        if (moves.Count == 0) return (0, local.Count);
        // A joining silo takes sessions only once it has warmed up; a draining silo's successors are running already.
        if (paced) await UntilWarm([.. moves.Select(m => m.Target).Distinct()], cancellationToken);
        var ramp = paced && _options.MovesPerSecond > 0 ? new MoveRamp(_options.MovesPerSecond) : null;
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = paced ? 8 : _options.DrainConcurrency, CancellationToken = cancellationToken };
        var clock = Stopwatch.StartNew();
        var next = 0;
        await Parallel.ForEachAsync(moves, parallel, async (move, token) =>
        {
            if (ramp is not null)
            {
                var due = ramp.Due(Interlocked.Increment(ref next) - 1) - clock.Elapsed;
                if (due > TimeSpan.Zero) await Task.Delay(due, token);
            }
            await MoveTo(move.Id, move.Target, token);
        });
        LogMoving(moves.Count, paced ? "rebalance" : "drain");
        return (moves.Count, local.Count);
    }

    /// <summary>
    /// Waits until every silo in <paramref name="targets"/> says it has warmed up (<see cref="SiloWarmUp"/>), asking every
    /// quarter of a second, for at most <see cref="WarmWait"/>: a silo that never says so still gets its sessions.
    /// </summary>
    private async Task UntilWarm(IReadOnlyList<SiloAddress> targets, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var waiting = targets.Where(t => !t.Equals(homes.Self)).ToList();
        while (waiting.Count > 0 && Stopwatch.GetElapsedTime(started) < WarmWait)
        {
            var answers = await Task.WhenAll(waiting.Select(async target =>
            {
                try
                {
                    return await grains.GetGrain<ISessionRouter>(SessionRouterAddress.For(target)).Warm().WaitAsync(TimeSpan.FromSeconds(1), cancellationToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    return false;
                }
            }));
            waiting = [.. waiting.Where((_, i) => !answers[i])];
            if (waiting.Count > 0) await Task.Delay(TimeSpan.FromMilliseconds(250), cancellationToken);
        }
        if (waiting.Count > 0) LogNotWarm(string.Join(", ", waiting));
    }

    /// <summary>Longest wait for a joining silo to warm up before sessions are moved to it anyway.</summary>
    private static readonly TimeSpan WarmWait = TimeSpan.FromSeconds(15);

    /// <summary>
    /// Longest a move request waits for its session. One that is moving already holds the call until its own move ends:
    /// up to Orleans' 30 s response timeout when two silos move sessions to each other (one drains just after it joined,
    /// while another still moves sessions to it), which held a drain for 33 s. A session not moved is asked again.
    /// </summary>
    private static readonly TimeSpan MoveCallTimeout = TimeSpan.FromSeconds(2);

    private async Task MoveTo(string sessionId, SiloAddress target, CancellationToken cancellationToken)
    {
        // Should the activation be gone by now, the hint places the one this call creates on the target, not here.
        RequestContext.Set(IPlacementDirector.PlacementHintKey, target);
        try
        {
            if (await grains.GetGrain<ISessionMover>(sessionId).MoveTo(target).WaitAsync(MoveCallTimeout, cancellationToken)) metrics.MoveRequested();
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The drain's deadline, or the rebalance stopping: the loop above ends.
        }
        catch (Exception ex)
        {
            LogMoveFailed(ex, sessionId, target);
        }
        finally
        {
            RequestContext.Remove(IPlacementDirector.PlacementHintKey);
        }
    }

    private async Task<List<string>> LocalSessions()
    {
        var statistics = await grains.GetGrain<IManagementGrain>(0).GetDetailedGrainStatistics([SessionGrainType], [homes.Self]);
        return [.. statistics.Where(s => s.SiloAddress.Equals(homes.Self)).Select(s => s.GrainId.Key.ToString()!)];
    }

    [LoggerMessage(EventId = 4208, Level = LogLevel.Warning, Message = "Silos {Silos} did not say they had warmed up; moving sessions to them anyway")]
    private partial void LogNotWarm(string silos);

    [LoggerMessage(EventId = 4201, Level = LogLevel.Information, Message = "Asked {Count} sessions to move ({Why})")]
    private partial void LogMoving(int count, string why);

    [LoggerMessage(EventId = 4202, Level = LogLevel.Information, Message = "Drained: {Moved} moves asked, {Left} sessions left behind, {Milliseconds:F0} ms")]
    private partial void LogDrained(int moved, int left, double milliseconds);

    [LoggerMessage(EventId = 4203, Level = LogLevel.Warning, Message = "Could not move session {SessionId} to {Target}")]
    private partial void LogMoveFailed(Exception ex, string sessionId, SiloAddress target);

    [LoggerMessage(EventId = 4204, Level = LogLevel.Warning, Message = "A rebalancing round failed; the next membership change starts another")]
    private partial void LogRebalanceFailed(Exception ex);

    [LoggerMessage(EventId = 4205, Level = LogLevel.Error, Message = "Draining failed; the remaining sessions are deactivated and reload from storage elsewhere")]
    private partial void LogDrainFailed(Exception ex);
}
