using Microsoft.Extensions.Logging;
using Orleans.Concurrency;
using SessionGrains.Interfaces;

namespace SessionGrains.Grains;

/// <summary>
/// The silo end of <see cref="ISessionRouter"/>: runs a front end's call against the session grain. The grain is
/// activated here when it is not active anywhere (<see cref="SessionGrain"/> prefers local placement), so the calls of
/// all front ends for one session meet on the silo they hash it to, and reach the grain without a second hop.
/// </summary>
[Reentrant]
public sealed class SessionRouterService(GrainId grainId, Silo silo, ILoggerFactory loggers, IGrainFactory grains)
    : GrainService(grainId, silo, loggers), ISessionRouter
{
    public Task<TResult> Invoke<TResult>(string sessionId, SessionCall<TResult> call) =>
        call.On(grains.GetGrain<ISessionGrain>(sessionId));
}
