namespace SessionGrains.Interfaces;

/// <summary>
/// One operation on a session, as a value the front end builds once and sends either way: to the session grain in
/// process (standalone mode) or through the <see cref="ISessionRouter"/> of the silo that hosts it (cluster mode).
/// Every operation of <see cref="ISessionGrain"/> that the front end uses has one; see <see cref="SessionCalls"/>.
/// </summary>
public abstract record SessionCall<TResult>
{
    /// <summary>Runs the operation on the session grain itself.</summary>
    public abstract Task<TResult> On(ISessionGrain session);

    /// <summary>Runs the operation through the router of the silo that hosts the session.</summary>
    public abstract Task<TResult> Via(ISessionRouter router, string sessionId);
}
