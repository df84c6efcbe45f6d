using System.Collections.Concurrent;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SessionGrains.Direct;
using SessionGrains.Grains.Placement;

namespace SessionGrains.Hosting;

/// <summary>
/// Declares a silo dead as soon as its silo port refuses connections, instead of after its missed probes (about 1.3 s
/// with <see cref="MembershipTuning"/>, more on a busy machine). A live silo listens on its silo port from before it joins
/// until after it has left the membership table, so a refused connection there means its process is gone (crashed,
/// killed, or restarted and not yet listening, which ends that generation too). When this silo's runtime starts a
/// connection to a peer (it reconnects at once when a connection breaks), the watch tries the peer's port itself; refused
/// twice, it calls <see cref="IClusterMembershipService.TryKill"/>, as Orleans' Kubernetes integration does for a deleted
/// pod. A silo that is frozen, slow or cut off by the network still accepts or does not answer, and is left to the
/// probes: this never evicts a live process. Off with <c>Cluster:DeclareRefusingSilosDead=false</c>.
/// </summary>
public sealed partial class PeerDeathWatch(
    IClusterMembershipService membership, ILocalSiloDetails local, ILogger<PeerDeathWatch> logger) : ILifecycleParticipant<ISiloLifecycle>
{
    public const string EnabledKey = "Cluster:DeclareRefusingSilosDead";

    /// <summary>Pause between the two connection attempts that must both be refused.</summary>
    private static readonly TimeSpan Confirm = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// When to try the port after a connection starts: a killed process closes its connections before its listening
    /// socket (the kernel tears a large process down for a while), so an attempt made in between is accepted, and a
    /// peer whose port accepts is tried again a few times before it is left to the probes (1.5 s in all).
    /// </summary>
    private static readonly TimeSpan[] Tries = [TimeSpan.Zero, TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(200), TimeSpan.FromMilliseconds(400), TimeSpan.FromMilliseconds(800)];

    /// <summary>How long one connection attempt waits; a refusal comes at once, so a slow answer counts as alive.</summary>
    private static readonly TimeSpan AttemptTimeout = TimeSpan.FromMilliseconds(500);

    private readonly SiloLoop _loop = new();
    private readonly ConcurrentDictionary<SiloAddress, bool> _checking = new();

    void ILifecycleParticipant<ISiloLifecycle>.Participate(ISiloLifecycle lifecycle) =>
        _loop.RunDuring(lifecycle, nameof(PeerDeathWatch), ServiceLifecycleStage.Active, Watch);

    private async Task Watch(CancellationToken stopping)
    {
        using var attempts = new ConnectionAttempts(OnConnecting);
        await Task.Delay(Timeout.Infinite, stopping);
    }

    private void OnConnecting(SiloAddress peer)
    {
        if (_loop.Stopping.IsCancellationRequested || peer.Equals(local.SiloAddress) || !IsMember(peer)) return;
        if (_checking.TryAdd(peer, true)) _ = Check(peer);
    }

    /// <summary>A silo of the table that is not dead (gateways and clients are not silos of the table).</summary>
    private bool IsMember(SiloAddress peer) =>
        membership.CurrentSnapshot.GetSiloStatus(peer) is SiloStatus.Joining or SiloStatus.Active or SiloStatus.ShuttingDown or SiloStatus.Stopping;

    private async Task Check(SiloAddress peer)
    {
        try
        {
            foreach (var pause in Tries)
            {
                await Task.Delay(pause, _loop.Stopping);
                if (!IsMember(peer)) return;
                if (!await ConnectionAttempts.Refuses(peer.Endpoint, AttemptTimeout)) continue;
                await Task.Delay(Confirm, _loop.Stopping);
                if (!await ConnectionAttempts.Refuses(peer.Endpoint, AttemptTimeout) || !IsMember(peer)) continue;
                LogRefused(peer);
                await membership.TryKill(peer);
                return;
            }
        }
        catch (Exception ex) when (!_loop.Stopping.IsCancellationRequested)
        {
            // Membership's own probes still evict it; this was only the early path.
            LogKillFailed(ex, peer);
        }
        catch (Exception)
        {
            // Stopping.
        }
        finally
        {
            _checking.TryRemove(peer, out _);
        }
    }

    [LoggerMessage(EventId = 2301, Level = LogLevel.Warning, Message = "Silo {Silo} refuses connections on its silo port: declaring it dead")]
    private partial void LogRefused(SiloAddress silo);

    [LoggerMessage(EventId = 2302, Level = LogLevel.Warning, Message = "Could not declare silo {Silo} dead; membership probes will")]
    private partial void LogKillFailed(Exception ex, SiloAddress silo);
}

public static class PeerDeathWatchExtensions
{
    /// <summary>Adds <see cref="PeerDeathWatch"/> to a cluster silo unless <see cref="PeerDeathWatch.EnabledKey"/> is false.</summary>
    public static ISiloBuilder AddPeerDeathWatch(this ISiloBuilder silo, IConfiguration configuration)
    {
        if (!configuration.GetValue(PeerDeathWatch.EnabledKey, true)) return silo;
        silo.Services.AddSingleton<PeerDeathWatch>();
        silo.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<PeerDeathWatch>());
        return silo;
    }
}
