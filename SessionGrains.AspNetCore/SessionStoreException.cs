namespace SessionGrains.AspNetCore;

/// <summary>
/// The session of this request could not be created or its changes could not be stored in SessionGrains. Thrown to the
/// app while its response has not started (from the first write of the response body, or recorded by the commit when
/// nothing was written), so the request fails instead of answering as if the session had been kept. Unless the app
/// handles it, it becomes <c>503 Service Unavailable</c> with <c>Retry-After</c>; the request's changes were not stored
/// (for a new session: nothing was created, no cookie was set).
/// </summary>
public sealed class SessionStoreException(string message, Exception? innerException) : Exception(message, innerException)
{
    /// <summary>When the store's answer named a time to retry after (e.g. a rate limit), that time.</summary>
    public TimeSpan? RetryAfter { get; init; }
}
