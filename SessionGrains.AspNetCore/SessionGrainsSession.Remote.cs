using SessionGrains.Interfaces;
using SessionGrains.Http;

namespace SessionGrains.AspNetCore;

// The round trips: load under the lease, create, commit and release.
public sealed partial class SessionGrainsSession
{
    /// <summary>
    /// Loads the session and takes its lease, waiting up to <see cref="SessionGrainsOptions.LeaseWait"/> (or the IO timeout)
    /// while another request of the session holds it. Throws when that fails, times out or is cancelled, as the built-in
    /// provider does; the session is then unavailable for the rest of the request.
    /// </summary>
    public async Task LoadAsync(CancellationToken cancellationToken = default)
    {
        if (_loaded) return;
        cancellationToken.ThrowIfCancellationRequested();
        if (_token is not null && !_readOnly && TryAcquireNow()) return;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var wait = _options.LeaseWait ?? _ioTimeout;
        timeout.CancelAfter(wait);
        try
        {
            if (_token is null && _legacy is not null) await ImportAsync(timeout.Token).ConfigureAwait(false);
            if (_token is not null && _readOnly) Loaded(await _connection.ReadAsync(_token, timeout.Token).ConfigureAwait(false));
            else if (_token is not null) await AcquireAsync(DateTimeOffset.UtcNow + wait, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            _data = null;
            _loaded = true;
            if (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested && timeout.IsCancellationRequested)
                throw new OperationCanceledException("Timed out loading the session (waiting for its lease).", ex, timeout.Token);
            throw;
        }
        _available = true;
        _loaded = true;
    }

    /// <summary>
    /// Stores what the request changed and releases the lease: the changed keys as one merge patch under the lease, in
    /// one round trip with the release; only the release when nothing changed; the creation of a new session. When the
    /// response has not started, a failure is also answered 503 (<see cref="SessionStoreException"/>); afterwards the
    /// exception is for the session middleware to log. The lease is released even when the commit fails.
    /// </summary>
    public async Task CommitAsync(CancellationToken cancellationToken = default)
    {
        if (_failed || _loaded && _leaseId is null && _changes.Count == 0 && !_cookiePending)
        {
            // Nothing to store: the response's start stored it, or the request failed and was answered so.
            await ReleaseQuietlyAsync().ConfigureAwait(false);
            return;
        }
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_ioTimeout);
        try
        {
            if (!_loaded)
            {
                await RefreshAsync(timeout.Token).ConfigureAwait(false);
                return;
            }
            await StoreAsync(timeout.Token).ConfigureAwait(false);
            WriteCookieIfPending();
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            var failure = Failure(ex, timeout.IsCancellationRequested);
            if (!_http.Response.HasStarted)
            {
                _failed = true;
                SessionFailures.Record(_http, failure);
            }
            throw failure;
        }
        finally
        {
            await ReleaseQuietlyAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Untouched this request: keeps the session alive, as the built-in provider refreshes its entry. Nothing is lost when that fails.</summary>
    private async Task RefreshAsync(CancellationToken cancellationToken)
    {
        if (_token is null) return;
        try
        {
            await _connection.TouchAsync(_token, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            if (ex is not SessionNotFoundException) LogRefreshFailed(ex, Name);
        }
    }

    /// <summary>
    /// The gate's work at the response's first write: the changes so far are stored, or the app gets the failure. A
    /// connection whose calls give up on their own before the IO timeout (grain calls, by their deadline) needs no timer here.
    /// </summary>
    private async Task StoreBeforeResponseAsync()
    {
        if (_failed) return;
        var deadline = _connection.CallDeadline;
        using var timeout = deadline is { } own && own <= _ioTimeout ? null : new CancellationTokenSource(_ioTimeout);
        try
        {
            await StoreAsync(timeout?.Token ?? CancellationToken.None).ConfigureAwait(false);
            WriteCookieIfPending();
        }
        catch (Exception ex)
        {
            _failed = true;
            await ReleaseQuietlyAsync().ConfigureAwait(false);
            throw timeout is null
                ? Failure(ex, ex is TimeoutException, deadline!.Value)
                : Failure(ex, timeout.IsCancellationRequested);
        }
    }

    /// <summary>Creates the session, or commits its changes under the lease and releases it, or (lease gone) patches them.</summary>
    private async Task StoreAsync(CancellationToken cancellationToken)
    {
        try
        {
            if (_token is null)
            {
                if (_changes.Values.Any(value => value is not null)) await CreateAsync(cancellationToken).ConfigureAwait(false);
                else _changes.Clear();
            }
            else if (_leaseId is { } leaseId)
            {
                await StopRenewingAsync().ConfigureAwait(false);
                await _connection.ReleaseAsync(_token, leaseId, _changes, cancellationToken).ConfigureAwait(false);
                _leaseId = null;
            }
            else if (_changes.Count > 0)
            {
                // A session this request created, or whose lease went back when the response started.
                await _connection.PatchAsync(_token, _changes, cancellationToken).ConfigureAwait(false);
            }
            Applied();
        }
        catch (SessionNotFoundException) when (_token is not null)
        {
            // The session ended while this request ran; like an expired entry of the built-in provider, the changes go.
            _leaseId = null;
            _changes.Clear();
        }
    }

    /// <summary>What the app and the logs are told about a failed store of session changes (timed out after the IO timeout, or <paramref name="after"/>).</summary>
    private SessionStoreException Failure(Exception ex, bool timedOut, TimeSpan? after = null) => new(
        timedOut ? $"Timed out storing session {Name} after {(after ?? _ioTimeout).TotalSeconds:0.#} s; this request's changes were not kept."
            : $"Could not store session {Name}; this request's changes were not kept: {ex.Message}", ex)
    {
        RetryAfter = (ex as SessionGrainsException)?.RetryAfter,
    };

    /// <summary>Releases a lease still held (a failed commit, a commit that never ran).</summary>
    public ValueTask DisposeAsync() => new(ReleaseQuietlyAsync());

    private async Task AcquireAsync(DateTimeOffset deadline, CancellationToken cancellationToken)
    {
        // One id for every attempt: a retried acquire is the same request in the session's queue.
        var leaseId = NewLeaseId();
        while (true)
        {
            try
            {
                Acquired(leaseId, await _connection.AcquireAsync(_token!, leaseId, _options.LeaseTtl, Max(deadline - DateTimeOffset.UtcNow, TimeSpan.Zero), cancellationToken).ConfigureAwait(false));
                return;
            }
            catch (LeaseBusyException) when (DateTimeOffset.UtcNow < deadline)
            {
            }
        }
    }

    /// <summary>
    /// The session's data, decoded by the connection for this request alone (ordinal keys): it becomes the request's. Null:
    /// it expired or ended, and the request starts a new session at its first write, with a new cookie.
    /// </summary>
    private void Loaded(Dictionary<string, byte[]>? data)
    {
        _data = data;
        if (data is null) _token = null;
    }

    /// <summary>Migration: finds the SessionGrains copy of an old session, or makes it from the old store.</summary>
    private Task OnResponseStartingAsync()
    {
        WriteCookieIfPending();
        return Task.CompletedTask;
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
        await StopRenewingAsync().ConfigureAwait(false);
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await _connection.ReleaseAsync(token, leaseId, null, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            LogReleaseFailed(ex);
        }
    }

    private void Applied()
    {
        foreach (var (key, value) in _changes)
        {
            if (value is null) _data?.Remove(key);
            else (_data ??= new(StringComparer.Ordinal))[key] = value;
        }
        _changes.Clear();
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}
