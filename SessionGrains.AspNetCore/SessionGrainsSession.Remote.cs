using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using SessionGrains.Http;

namespace SessionGrains.AspNetCore;

// The round trips: load under the lease, create, commit and release.
public sealed partial class SessionGrainsSession
{
    /// <summary>
    /// Loads the session and takes its lease, waiting up to <see cref="SessionGrainsOptions.LeaseWait"/> (or the IO timeout)
    /// while another request of the session holds it. Throws when that time runs out, as the built-in provider does.
    /// </summary>
    public async Task LoadAsync(CancellationToken cancellationToken = default)
    {
        if (_loaded) return;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var wait = _options.LeaseWait ?? _ioTimeout;
        timeout.CancelAfter(wait);
        try
        {
            if (_token is null && _legacy is not null) await ImportAsync(timeout.Token).ConfigureAwait(false);
            if (_token is not null) await AcquireAsync(DateTimeOffset.UtcNow + wait, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested && timeout.IsCancellationRequested)
        {
            throw new OperationCanceledException("Timed out loading the session (waiting for its lease).", ex, timeout.Token);
        }
        _available = true;
        _loaded = true;
    }

    /// <summary>
    /// Commits the keys this request changed as one merge patch under the lease and releases the lease, in one round trip;
    /// only releases when nothing changed; creates the session when it is new. The lease is released even when the commit fails.
    /// </summary>
    public async Task CommitAsync(CancellationToken cancellationToken = default)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_ioTimeout);
        try
        {
            if (!_loaded)
            {
                // Untouched this request: keep the session alive, as the built-in provider refreshes its entry.
                if (_token is not null) await _client.GetPlacementAsync(_token, timeout.Token).ConfigureAwait(false);
                return;
            }
            if (_token is null)
            {
                if (_changes.Values.Any(value => value is not null)) await CreateAsync(timeout.Token).ConfigureAwait(false);
            }
            else if (_leaseId is { } leaseId)
            {
                await _client.ReleaseLeaseAsync(_token, leaseId, _changes.Count > 0 ? Patch() : null, cancellationToken: timeout.Token).ConfigureAwait(false);
                _leaseId = null;
            }
            else if (_changes.Count > 0)
            {
                // A session this request created: no other request knows its token yet.
                await _client.PatchAsync(_token, Patch(), cancellationToken: timeout.Token).ConfigureAwait(false);
            }
            Applied();
            WriteCookieIfPending();
        }
        catch (SessionNotFoundException) when (_token is not null)
        {
            // The session ended while this request ran; like an expired entry of the built-in provider, the changes go.
        }
        finally
        {
            await ReleaseQuietlyAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Releases a lease still held (a failed commit, a commit that never ran).</summary>
    public ValueTask DisposeAsync() => new(ReleaseQuietlyAsync());

    private async Task AcquireAsync(DateTimeOffset deadline, CancellationToken cancellationToken)
    {
        // One id for every attempt: a retried acquire is the same request in the session's queue.
        var request = new LeaseRequest { LeaseId = "r:" + RandomNumberGenerator.GetHexString(24, lowercase: true), Ttl = _options.LeaseTtl };
        while (true)
        {
            try
            {
                var lease = await _client.AcquireLeaseAsync(_token!, request with { Wait = Max(deadline - DateTimeOffset.UtcNow, TimeSpan.Zero) }, cancellationToken).ConfigureAwait(false);
                _leaseId = lease.LeaseId;
                ReleaseAtRequestEnd();
                Fill(lease.Session.Data);
                return;
            }
            catch (LeaseBusyException) when (DateTimeOffset.UtcNow < deadline)
            {
            }
            catch (SessionNotFoundException)
            {
                // Expired or ended: the request starts a new session at its first write, with a new cookie.
                _token = null;
                return;
            }
        }
    }

    /// <summary>Migration: finds the SessionGrains copy of an old session, or makes it from the old store.</summary>
    private async Task ImportAsync(CancellationToken cancellationToken)
    {
        if (await _legacy!.FindForwardAsync(_sessionKey, cancellationToken).ConfigureAwait(false) is { } forwarded)
        {
            _token = forwarded;
            _cookiePending = true;
            EstablishOnResponse();
            return;
        }
        var old = await _legacy.ReadAsync(_sessionKey, _idleTimeout, _ioTimeout, cancellationToken).ConfigureAwait(false);
        if (old.Count == 0 || _http.Response.HasStarted || !_cookie.MaySet(_http)) return;
        var created = await _client.CreateAsync(new CreateSessionRequest { Data = Encoded(old), IdleTimeout = _idleTimeout }, cancellationToken).ConfigureAwait(false);
        _token = created.Token;
        await _legacy.SetForwardAsync(_sessionKey, created.Token, _idleTimeout, cancellationToken).ConfigureAwait(false);
        LogImported(_sessionKey, old.Count);
        _cookiePending = true;
        EstablishOnResponse();
    }

    /// <summary>Creates the session with this request's changes as its data; its cookie follows before the response starts.</summary>
    private async Task CreateAsync(CancellationToken cancellationToken)
    {
        if (!_cookie.MaySet(_http))
        {
            LogNoConsent();
            _changes.Clear();
            return;
        }
        var data = _changes.Where(change => change.Value is not null).ToDictionary(change => change.Key, change => change.Value!, StringComparer.Ordinal);
        var created = await _client.CreateAsync(new CreateSessionRequest { Data = Encoded(data), IdleTimeout = _idleTimeout }, cancellationToken).ConfigureAwait(false);
        _token = created.Token;
        _cookiePending = true;
        Applied();
    }

    private async Task OnResponseStartingAsync()
    {
        try
        {
            using var timeout = new CancellationTokenSource(_ioTimeout);
            if (_token is null && _changes.Values.Any(value => value is not null)) await CreateAsync(timeout.Token).ConfigureAwait(false);
            WriteCookieIfPending();
        }
        catch (Exception ex)
        {
            // The response goes out either way; the commit tries to create the session again.
            LogCreateFailed(ex);
        }
    }

    private void WriteCookieIfPending()
    {
        if (!_cookiePending || _token is null || _http.Response.HasStarted) return;
        _cookie.Write(_http, _token);
        _cookiePending = false;
    }

    private async Task ReleaseQuietlyAsync()
    {
        if (_leaseId is not { } leaseId || _token is not { } token) return;
        _leaseId = null;
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await _client.ReleaseLeaseAsync(token, leaseId, cancellationToken: timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            LogReleaseFailed(ex);
        }
    }

    /// <summary>The changes as a merge patch of data keys: base64 of the bytes, or null to remove.</summary>
    private JsonObject Patch()
    {
        var patch = new JsonObject();
        foreach (var (key, value) in _changes) patch[SessionKeyCodec.Encode(key)] = value is null ? null : Convert.ToBase64String(value);
        return patch;
    }

    private void Applied()
    {
        foreach (var (key, value) in _changes)
        {
            if (value is null) _data.Remove(key);
            else _data[key] = value;
        }
        _changes.Clear();
    }

    private void Fill(IReadOnlyDictionary<string, JsonElement> data)
    {
        _data.Clear();
        foreach (var (dataKey, value) in data)
        {
            // Keys without the prefix belong to other users of the session's API; values that are not base64 strings too.
            if (SessionKeyCodec.Decode(dataKey) is not { } key || value.ValueKind != JsonValueKind.String || !value.TryGetBytesFromBase64(out var bytes)) continue;
            _data[key] = bytes;
        }
    }

    private static Dictionary<string, object?> Encoded(Dictionary<string, byte[]> data) =>
        data.ToDictionary(entry => SessionKeyCodec.Encode(entry.Key), entry => (object?)Convert.ToBase64String(entry.Value), StringComparer.Ordinal);

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}
