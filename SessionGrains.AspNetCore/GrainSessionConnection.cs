using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using SessionGrains.Direct;
using SessionGrains.Http;
using SessionGrains.Interfaces;

namespace SessionGrains.AspNetCore;

/// <summary>
/// Sessions as an Orleans client of the cluster: each call is one grain call (through the <see cref="ISessionRouter"/> of
/// the silo that hosts the session when the store has its own client), with Orleans' binary serialization and the same
/// retries across silo failures as the front end (<see cref="SessionGateway"/>). New sessions get their id as the front
/// end makes them; their cookies hold a reference (<see cref="SessionCookie.Reference"/>), and cookies holding a token
/// signed with the same key (<see cref="SessionTokens"/>) work too. Every write carries an idempotency key, so a retried call is applied once.
/// </summary>
internal sealed class GrainSessionConnection(
    SessionGateway gateway, SessionTokens tokens, IOptions<ClientMessagingOptions> messaging, IOptions<SessionCallOptions> calls) : ISessionConnection
{
    /// <summary>
    /// The longest one acquire waits in the grain: a second under the client's response timeout (3 s in the cluster) and
    /// under the call's deadline (in an app that hosts a silo, the client's timeout is not the one that applies), so the
    /// grain answers "busy" before the call is given up; the session then asks again with the same lease id.
    /// </summary>
    private readonly TimeSpan _longestWait = TimeSpan.FromTicks(Math.Min(Under(messaging.Value.ResponseTimeout).Ticks, Under(calls.Value.CallDeadline).Ticks));

    private static TimeSpan Under(TimeSpan limit) => limit > TimeSpan.FromSeconds(2) ? limit - TimeSpan.FromSeconds(1) : limit / 2;

    public async Task<Dictionary<string, byte[]>?> AcquireAsync(string token, string leaseId, TimeSpan ttl, TimeSpan wait, CancellationToken cancellationToken)
    {
        // A session active in this app whose lease is free: taken without a call.
        if (TryAcquireNow(token, leaseId, ttl, out var taken)) return taken;
        if (!TryResolve(token, out var id)) return null;
        if (wait > _longestWait) wait = _longestWait;
        var reply = await gateway.Call(id, new SessionCalls.AcquireLease(leaseId, ttl, wait, cancellationToken), cancellationToken).ConfigureAwait(false);
        return reply.Status == SessionStatus.SessionNotFound ? null : Decoded(Checked(reply).Session.Data);
    }

    public bool TryAcquireNow(string token, string leaseId, TimeSpan ttl, out Dictionary<string, byte[]>? data)
    {
        data = TryResolve(token, out var id) && gateway.TryAcquireHere(id, leaseId, ttl) is { } granted ? Decoded(granted.Session.Data) : null;
        return data is not null;
    }

    public TimeSpan? CallDeadline => calls.Value.CallDeadline;

    public async Task<Dictionary<string, byte[]>?> ReadAsync(string token, CancellationToken cancellationToken)
    {
        if (!TryResolve(token, out var id)) return null;
        var reply = await gateway.Call(id, SessionCalls.Get.Instance, cancellationToken).ConfigureAwait(false);
        return reply.Status == SessionStatus.SessionNotFound ? null : Decoded(Checked(reply).Data);
    }

    public async Task ReleaseAsync(string token, string leaseId, IReadOnlyDictionary<string, byte[]?>? changes, CancellationToken cancellationToken)
    {
        var id = Verified(token);
        var write = new SessionWrite(null, NewWriteKey(id), leaseId);
        // The changes as the members of a merge patch: a grain in this process takes them without the patch's text.
        SessionCall<Reply<Written>> call = changes is { Count: > 0 } ? new SessionCalls.CommitChanges(leaseId, Members(changes), write) : new SessionCalls.ReleaseLease(leaseId, null, write);
        Checked(await gateway.Call(id, call, cancellationToken).ConfigureAwait(false));
    }

    public async Task PatchAsync(string token, IReadOnlyDictionary<string, byte[]?> changes, CancellationToken cancellationToken)
    {
        var id = Verified(token);
        Checked(await gateway.Call(id, new SessionCalls.Patch(Patch(changes), new SessionWrite(null, NewWriteKey(id))), cancellationToken).ConfigureAwait(false));
    }

    public async Task<string> CreateAsync(IReadOnlyDictionary<string, byte[]> data, TimeSpan idleTimeout, CancellationToken cancellationToken)
    {
        var values = data.ToDictionary(entry => SessionKeyCodec.Encode(entry.Key), entry => SessionKeyCodec.ValueJson(entry.Value), StringComparer.Ordinal);
        // In an app that is a silo of the cluster itself, an id whose home is that silo: the session then lives in the app.
        var id = gateway.NewId();
        var reply = await gateway.Create(id, new SessionCreation(values, idleTimeout, null, SessionKeys.NewFrontEndKey()), cancellationToken).ConfigureAwait(false);
        return SessionCookie.Reference(Checked(reply).Id);
    }

    public async Task TouchAsync(string token, CancellationToken cancellationToken) =>
        Checked(await gateway.Call(Verified(token), SessionCalls.Touch.Instance, cancellationToken).ConfigureAwait(false));

    /// <summary>
    /// An idempotency key for one write and its retries (the front end's kinds: remembered only briefly). Kept in the grain's
    /// memory only when the session is active in this process (an app that is a silo), as a standalone front end's keys
    /// are: the retries reach that activation, and a stored ledger entry would be most of the commit's storage write.
    /// </summary>
    private string NewWriteKey(string id) => gateway.RunsHere(id) ? SessionKeys.NewLocalKey() : SessionKeys.NewFrontEndKey();

    /// <summary>The session id of a token the store itself issued or loaded; anything else is a session that does not exist.</summary>
    private string Verified(string token) =>
        TryResolve(token, out var id) ? id : throw new SessionNotFoundException("The session token is not genuine.");

    /// <summary>
    /// The session id of what a cookie holds: a reference (<see cref="SessionCookie.Reference"/>, what this connection gives
    /// new sessions; the cookie's encryption proved it genuine), or a token (cookies set over HTTP, or before references).
    /// </summary>
    private bool TryResolve(string session, out string id)
    {
        if (!SessionCookie.IsReference(session)) return tokens.TryVerify(session, out id);
        id = SessionCookie.IdOf(session);
        return true;
    }

    /// <summary>The result, or the refusal as the exception the HTTP API would have caused.</summary>
    private static T Checked<T>(Reply<T> reply) where T : class
    {
        if (reply.Succeeded) return reply.Value;
        var failure = reply.Failure;
        TimeSpan? retryAfter = failure.RetryAfterSeconds > 0 ? TimeSpan.FromSeconds(failure.RetryAfterSeconds) : null;
        throw failure.Status switch
        {
            SessionStatus.SessionNotFound => new SessionNotFoundException(failure.Detail),
            SessionStatus.LeaseBusy => new LeaseBusyException(failure.Detail, retryAfter),
            SessionStatus.LeaseLost => new LeaseLostException(failure.Detail),
            SessionStatus.RateLimited => new RateLimitedException(SessionGrainsException.TypePrefix + "rate-limited", failure.Detail, retryAfter),
            SessionStatus.ValueTooLarge or SessionStatus.SessionTooLarge => new SessionGrainsException(HttpStatusCode.RequestEntityTooLarge, null, failure.Status.ToString(), failure.Detail),
            _ => new SessionGrainsException(HttpStatusCode.BadRequest, null, failure.Status.ToString(), failure.Detail, retryAfter),
        };
    }

    /// <summary>The members of the merge patch of <paramref name="changes"/>: data keys and base64 strings, or null to remove.</summary>
    private static KeyValuePair<string, string?>[] Members(IReadOnlyDictionary<string, byte[]?> changes)
    {
        var members = new KeyValuePair<string, string?>[changes.Count];
        var i = 0;
        foreach (var (key, value) in changes) members[i++] = new(SessionKeyCodec.Encode(key), value is null ? null : SessionKeyCodec.ValueJson(value));
        return members;
    }

    /// <summary>A merge patch of data keys: base64 strings, or null to remove.</summary>
    private static string Patch(IReadOnlyDictionary<string, byte[]?> changes) => SessionCalls.CommitChanges.MergePatch(Members(changes));

    private static Dictionary<string, byte[]> Decoded(IReadOnlyDictionary<string, string> data)
    {
        var values = new Dictionary<string, byte[]>(data.Count, StringComparer.Ordinal);
        foreach (var (dataKey, json) in data)
        {
            // Keys without the prefix belong to other users of the session's API; values that are not base64 strings too.
            if (SessionKeyCodec.Decode(dataKey) is { } key && FromJsonString(json) is { } bytes) values[key] = bytes;
        }
        return values;
    }

    /// <summary>The bytes of a JSON string of base64 (escaped or not, as other API clients may have written it), or null.</summary>
    private static byte[]? FromJsonString(string json)
    {
        // The session's JSON writer escapes base64's '+' (as \u002B): the one escape base64 text can hold.
        if (json.Contains("\\u002B", StringComparison.Ordinal)) json = json.Replace("\\u002B", "+", StringComparison.Ordinal);
        if (json.Length >= 2 && json[0] == '"' && json[^1] == '"' && json.IndexOf('\\', StringComparison.Ordinal) < 0)
        {
            var buffer = new byte[(json.Length - 2) / 4 * 3];
            return Convert.TryFromBase64Chars(json.AsSpan(1, json.Length - 2), buffer, out var written) ? buffer[..written] : null;
        }
        try
        {
            var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(json));
            return reader.Read() && reader.TokenType == JsonTokenType.String && reader.TryGetBytesFromBase64(out var bytes) ? bytes : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
