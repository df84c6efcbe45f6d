namespace SessionGrains.Interfaces;

/// <summary>
/// One operation on a session, as a value: the front end builds it, and it runs against the session grain wherever
/// the call lands (in process in standalone mode; through <see cref="ISessionRouter"/> on the hosting silo in cluster
/// mode). Every operation of <see cref="ISessionGrain"/> that the front end uses has one; see <see cref="SessionCalls"/>.
/// </summary>
[GenerateSerializer, Immutable]
public abstract record SessionCall<TResult>
{
    public abstract Task<TResult> On(ISessionGrain session);
}
