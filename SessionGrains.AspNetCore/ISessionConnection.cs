namespace SessionGrains.AspNetCore;

/// <summary>
/// How the store reaches sessions: over the front end's HTTP API (<see cref="HttpSessionConnection"/>) or as an Orleans
/// client of the cluster (<see cref="GrainSessionConnection"/>). Values are the session's own (ISession keys and bytes);
/// each connection stores them as SessionGrains data (<see cref="SessionKeyCodec"/>, base64 JSON strings). Refusals
/// arrive as the <c>SessionGrains.Http</c> exceptions (<c>SessionNotFoundException</c>, <c>LeaseBusyException</c>, ...)
/// whichever way the call went. A session is named by what its cookie holds: a token, or (over grain calls) a reference
/// (<see cref="SessionCookie.Reference"/>); the parameters are called <c>token</c> for both.
/// </summary>
internal interface ISessionConnection
{
    /// <summary>
    /// Takes the session's lease under <paramref name="leaseId"/> and loads it in one call, waiting up to
    /// <paramref name="wait"/> in line; null when the session does not exist (expired, ended, or a token not genuine).
    /// </summary>
    Task<Dictionary<string, byte[]>?> AcquireAsync(string token, string leaseId, TimeSpan ttl, TimeSpan wait, CancellationToken cancellationToken);

    /// <summary>
    /// Takes the lease and loads the session at once, without a call, where that is possible (the session is active in
    /// this process and its lease free); false: use <see cref="AcquireAsync"/>.
    /// </summary>
    bool TryAcquireNow(string token, string leaseId, TimeSpan ttl, out Dictionary<string, byte[]>? data)
    {
        data = null;
        return false;
    }

    /// <summary>
    /// How long one call takes at most before it fails with a <see cref="TimeoutException"/> of its own (its retries
    /// included); null when it waits as long as the caller's token lets it.
    /// </summary>
    TimeSpan? CallDeadline => null;

    /// <summary>Loads the session without its lease (a read-only request); null when it does not exist.</summary>
    Task<Dictionary<string, byte[]>?> ReadAsync(string token, CancellationToken cancellationToken);

    /// <summary>Commits <paramref name="changes"/> (null values remove keys) under the lease and releases it, in one call; only releases without changes.</summary>
    Task ReleaseAsync(string token, string leaseId, IReadOnlyDictionary<string, byte[]?>? changes, CancellationToken cancellationToken);

    /// <summary>Applies <paramref name="changes"/> as one merge patch without a lease.</summary>
    Task PatchAsync(string token, IReadOnlyDictionary<string, byte[]?> changes, CancellationToken cancellationToken);

    /// <summary>Creates a session holding <paramref name="data"/>; answers what the cookie carries: its token over HTTP, its reference over grain calls.</summary>
    Task<string> CreateAsync(IReadOnlyDictionary<string, byte[]> data, TimeSpan idleTimeout, CancellationToken cancellationToken);

    /// <summary>Counts as access (sliding expiry) without reading or changing anything.</summary>
    Task TouchAsync(string token, CancellationToken cancellationToken);
}
