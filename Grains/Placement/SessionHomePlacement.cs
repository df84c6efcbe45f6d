using Microsoft.Extensions.DependencyInjection;
using Orleans.Placement;
using Orleans.Runtime.Placement;

namespace SessionGrains.Grains.Placement;

/// <summary>
/// Where a session grain is activated: on its home silo (<see cref="SiloHomes"/>, the silo the front ends route the
/// session to), whichever silo's call activates it. A session is created without an activation
/// (<see cref="SessionCreator"/>), so its first call may come through any silo: through a combined node that is not its
/// home, or through a split cluster's router while a silo joins. Without a home (standalone mode, before the first
/// membership read, a home not compatible) the calling silo, as Orleans' prefer-local placement.
/// </summary>
[GenerateSerializer, Immutable, SuppressReferenceTracking]
public sealed class SessionHomePlacement : PlacementStrategy
{
    public static readonly SessionHomePlacement Instance = new();
}

/// <summary>Places the session grain with <see cref="SessionHomePlacement"/>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class SessionHomePlacementAttribute() : PlacementAttribute(SessionHomePlacement.Instance);

/// <summary>
/// A placement hint (a live migration's target, <see cref="SessionRehoming"/>) first, then the session's home, then this
/// silo, then any compatible silo.
/// </summary>
public sealed class SessionHomePlacementDirector(IServiceProvider services) : IPlacementDirector
{
    private readonly SiloHomes? _homes = services.GetService<SiloHomes>();

    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        var compatible = context.GetCompatibleSilos(target);
        if (IPlacementDirector.GetPlacementHint(target.RequestContextData, compatible) is { } hint) return Task.FromResult(hint);
        if (_homes?.HomeOf(target.GrainIdentity.Key.ToString()!) is { } home && compatible.Contains(home)) return Task.FromResult(home);
        if (context.LocalSiloStatus == SiloStatus.Active && compatible.Contains(context.LocalSilo)) return Task.FromResult(context.LocalSilo);
        return Task.FromResult(compatible[Random.Shared.Next(compatible.Length)]);
    }
}
