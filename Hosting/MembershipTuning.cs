using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;

namespace SessionGrains.Hosting;

/// <summary>
/// Failure detection of cluster mode: a silo killed without warning is declared dead within about two seconds
/// (Orleans' defaults take five to ten), so its sessions reactivate on another silo while the front end is still
/// retrying. Any <see cref="ClusterMembershipOptions"/> property can be overridden under <c>Cluster:Membership</c>
/// with its Orleans name, e.g. <c>Cluster__Membership__ProbeTimeout=00:00:02</c>.
/// </summary>
public static class MembershipTuning
{
    public const string Section = "Cluster:Membership";

    /// <summary>
    /// Initial probe timeout, which is also the period between probes. Orleans adapts it to the measured round trip
    /// between half and four times this value, so on a quiet network a silo is probed every 0.5 s.
    /// </summary>
    public static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Probes a silo may miss before it is suspected. The last one is indirect (through another silo), and a failed
    /// indirect probe carries both silos' votes, so one GC pause or one lossy link alone does not kill a silo.
    /// </summary>
    public const int NumMissedProbesLimit = 3;

    /// <summary>Votes that declare a silo dead; a failed indirect probe supplies two.</summary>
    public const int NumVotesForDeathDeclaration = 2;

    /// <summary>Suspicions older than this no longer count, so unrelated hiccups minutes apart never add up to a death.</summary>
    public static readonly TimeSpan DeathVoteExpirationTimeout = TimeSpan.FromSeconds(20);

    /// <summary>Heartbeat written to the membership table; three missed beats mark an entry stale.</summary>
    public static readonly TimeSpan IAmAliveTablePublishTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Full membership table read; a safety net behind gossip, which spreads changes at once.</summary>
    public static readonly TimeSpan TableRefreshTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Applies the timings above, then any overrides from <c>Cluster:Membership</c>, validated at start-up.</summary>
    public static ISiloBuilder ConfigureFailureDetection(this ISiloBuilder silo, IConfiguration configuration)
    {
        silo.Services.AddOptions<ClusterMembershipOptions>()
            .Configure(options =>
            {
                options.ProbeTimeout = ProbeTimeout;
                options.NumMissedProbesLimit = NumMissedProbesLimit;
                options.NumVotesForDeathDeclaration = NumVotesForDeathDeclaration;
                options.EnableIndirectProbes = true;
                options.DeathVoteExpirationTimeout = DeathVoteExpirationTimeout;
                options.IAmAliveTablePublishTimeout = IAmAliveTablePublishTimeout;
                options.TableRefreshTimeout = TableRefreshTimeout;
            })
            .Bind(configuration.GetSection(Section))
            .Validate(
                options => options.ProbeTimeout > TimeSpan.Zero
                    && options.MinProbeTimeout <= options.MaxProbeTimeout
                    && options.NumMissedProbesLimit >= 1
                    && options.NumVotesForDeathDeclaration >= 1
                    && options.NumVotesForDeathDeclaration <= options.NumProbedSilos
                    && options.DeathVoteExpirationTimeout > options.MaxProbeTimeout * options.NumMissedProbesLimit,
                "Invalid Cluster:Membership: probe timeouts must be positive with Min <= Max, NumVotesForDeathDeclaration between 1 and NumProbedSilos, "
                    + "and DeathVoteExpirationTimeout longer than MaxProbeTimeout x NumMissedProbesLimit.")
            .ValidateOnStart();
        return silo;
    }
}
