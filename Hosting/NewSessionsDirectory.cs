using Orleans.GrainDirectory;
using SessionGrains.Grains.Placement;

namespace SessionGrains.Hosting;

/// <summary>
/// The session directory as placement sees it: a lookup of a session minted in this process for its creation
/// (<see cref="NewSessionIds"/>) is answered "not registered" without a Redis round trip; everything else goes to the Redis
/// directory. Safe even if such a session were registered after all (a create retried after its first attempt activated
/// it): the registration, which stays a Redis script, answers with the activation that exists, and Orleans sends the call
/// there.
/// </summary>
internal sealed class NewSessionsDirectory(IGrainDirectory redis, NewSessionIds newIds) : IGrainDirectory
{
    public Task<GrainAddress?> Lookup(GrainId grainId) => newIds.Take(grainId) ? Task.FromResult<GrainAddress?>(null) : redis.Lookup(grainId);

    public Task<GrainAddress?> Lookup(GrainId grainId, CancellationToken cancellationToken) =>
        newIds.Take(grainId) ? Task.FromResult<GrainAddress?>(null) : redis.Lookup(grainId, cancellationToken);

    public Task<GrainAddress?> Register(GrainAddress address) => redis.Register(address);

    public Task<GrainAddress?> Register(GrainAddress address, CancellationToken cancellationToken) => redis.Register(address, cancellationToken);

    public Task<GrainAddress?> Register(GrainAddress address, GrainAddress? previousAddress) => redis.Register(address, previousAddress);

    public Task<GrainAddress?> Register(GrainAddress address, GrainAddress? previousAddress, CancellationToken cancellationToken) =>
        redis.Register(address, previousAddress, cancellationToken);

    public Task Unregister(GrainAddress address) => redis.Unregister(address);

    public Task Unregister(GrainAddress address, CancellationToken cancellationToken) => redis.Unregister(address, cancellationToken);

    public Task UnregisterSilos(List<SiloAddress> siloAddresses) => redis.UnregisterSilos(siloAddresses);

    public Task UnregisterSilos(List<SiloAddress> siloAddresses, CancellationToken cancellationToken) => redis.UnregisterSilos(siloAddresses, cancellationToken);
}
