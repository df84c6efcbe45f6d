using Microsoft.Extensions.Logging;
using SessionGrains.Interfaces;

namespace SessionGrains.Grains.Placement;

/// <summary>
/// This silo's view of where each session belongs (<see cref="SessionHomes"/> over the active members' gateway
/// endpoints, read from the membership table whenever membership changes). A draining silo leaves itself out, so the
/// sessions it hands over go where the front ends will look for them once it is gone.
/// </summary>
public sealed partial class SiloHomes(
    IClusterMembershipService membership, IMembershipTable table, ILocalSiloDetails local, ILogger<SiloHomes> logger)
    : ILifecycleParticipant<ISiloLifecycle>, ILocalSessionHomes
{
    private readonly SiloLoop _loop = new();
    private volatile Home[] _homes = [];
    private volatile bool _draining;

    /// <summary>This silo.</summary>
    public SiloAddress Self => local.SiloAddress;

    /// <summary>Whether this silo is handing its sessions over before it stops.</summary>
    public bool Draining => _draining;

    /// <summary>How many silos sessions are spread over (this one left out while draining).</summary>
    public int Count => _draining ? _homes.Count(h => !h.Silo.Equals(Self)) : _homes.Length;

    /// <summary>Signalled after each change of the homes (membership change or the start of a drain).</summary>
    public event Action? Changed;

    /// <summary>From now on this silo is no session's home.</summary>
    public void StartDraining()
    {
        _draining = true;
        Changed?.Invoke();
    }

    public bool IsHomedHere(string sessionId) => HomeOf(sessionId) is { } home && home.Equals(Self);

    public bool SameHome(string a, string b) => Equals(HomeOf(a), HomeOf(b));

    /// <summary>The silo <paramref name="sessionId"/> belongs on, or null before the first membership read.</summary>
    public SiloAddress? HomeOf(string sessionId)
    {
        SiloAddress? best = null;
        ulong bestScore = 0;
        var draining = _draining;
        foreach (var home in _homes)
        {
            if (draining && home.Silo.Equals(Self)) continue;
            var score = SessionHomes.Score(sessionId, home.Seed);
            if (best is null || score > bestScore) (best, bestScore) = (home.Silo, score);
        }
        return best;
    }

    void ILifecycleParticipant<ISiloLifecycle>.Participate(ISiloLifecycle lifecycle) =>
        _loop.RunDuring(lifecycle, nameof(SiloHomes), ServiceLifecycleStage.BecomeActive, async stopping =>
        {
            await foreach (var _ in membership.MembershipUpdates.WithCancellation(stopping)) await Refresh();
        });

    /// <summary>Reads the gateway endpoints of the active members (the snapshot has silo addresses only).</summary>
    private async Task Refresh()
    {
        for (var attempt = 0; !_loop.Stopping.IsCancellationRequested; attempt++)
        {
            try
            {
                var data = await table.ReadAllAsync();
                var homes = data.Members
                    .Select(m => m.Item1)
                    .Where(e => e.Status == SiloStatus.Active && e.ProxyPort > 0)
                    .Select(e => new Home(e.SiloAddress, SessionHomes.Seed(new System.Net.IPEndPoint(e.SiloAddress.Endpoint.Address, e.ProxyPort))))
                    .OrderBy(h => h.Silo.ToParsableString(), StringComparer.Ordinal)
                    .ToArray();
                if (!homes.Select(h => h.Silo).SequenceEqual(_homes.Select(h => h.Silo)))
                {
                    _homes = homes;
                    LogHomes(homes.Length, string.Join(", ", homes.Select(h => h.Silo)));
                    Changed?.Invoke();
                }
                return;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogReadFailed(ex);
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(5000, 250 << Math.Min(attempt, 4))), _loop.Stopping);
            }
        }
    }

    private sealed record Home(SiloAddress Silo, long Seed);

    [LoggerMessage(EventId = 4101, Level = LogLevel.Information, Message = "Sessions are spread over {Count} silos: {Silos}")]
    private partial void LogHomes(int count, string silos);

    [LoggerMessage(EventId = 4102, Level = LogLevel.Warning, Message = "Could not read the membership table; keeping the previous homes")]
    private partial void LogReadFailed(Exception ex);
}
