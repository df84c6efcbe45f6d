using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Session;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Logging;

namespace SessionGrains.AspNetCore;

/// <summary>
/// The old provider's sessions during a migration: the <c>IDistributedCache</c> session store the app used before
/// (still registered), read with ASP.NET Core's own <see cref="DistributedSession"/>, plus forwarding entries from an old
/// session key to the SessionGrains session it was copied into.
/// </summary>
public sealed class LegacySessions(IDistributedCache cache, ILoggerFactory loggers, SessionCookie cookie)
{
    /// <summary>Prefix of the forwarding entries in the old cache.</summary>
    public const string ForwardPrefix = "SessionGrains.Forward:";

    /// <summary>The old provider's session, exactly as <c>DistributedSessionStore</c> makes it.</summary>
    public ISession Create(string sessionKey, TimeSpan idleTimeout, TimeSpan ioTimeout, Func<bool> tryEstablishSession, bool isNewSessionKey) =>
        new DistributedSession(cache, sessionKey, idleTimeout, ioTimeout, tryEstablishSession, loggers, isNewSessionKey);

    /// <summary>The token of the SessionGrains session an old session was copied into, if it was.</summary>
    public async Task<string?> FindForwardAsync(string sessionKey, CancellationToken cancellationToken)
    {
        var stored = await cache.GetStringAsync(ForwardPrefix + sessionKey, cancellationToken).ConfigureAwait(false);
        return stored is null ? null : cookie.Unprotect(stored);
    }

    /// <summary>Records that the old session now lives in SessionGrains under <paramref name="token"/>.</summary>
    public Task SetForwardAsync(string sessionKey, string token, TimeSpan idleTimeout, CancellationToken cancellationToken) =>
        cache.SetStringAsync(ForwardPrefix + sessionKey, cookie.Protect(token),
            new DistributedCacheEntryOptions { SlidingExpiration = idleTimeout }, cancellationToken);

    /// <summary>Every key and value of the old session; empty when it has none or expired.</summary>
    public async Task<Dictionary<string, byte[]>> ReadAsync(string sessionKey, TimeSpan idleTimeout, TimeSpan ioTimeout, CancellationToken cancellationToken)
    {
        var session = new DistributedSession(cache, sessionKey, idleTimeout, ioTimeout, () => false, loggers, isNewSessionKey: false);
        await session.LoadAsync(cancellationToken).ConfigureAwait(false);
        var data = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var key in session.Keys)
        {
            if (session.TryGetValue(key, out var value)) data[key] = value;
        }
        return data;
    }
}
