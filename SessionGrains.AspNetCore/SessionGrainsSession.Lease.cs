using SessionGrains.Interfaces;

namespace SessionGrains.AspNetCore;

// Taking the request's lease, its renewals while the request runs (LeaseKeeper), and their end before the lease goes back.
public sealed partial class SessionGrainsSession
{
    private readonly Lock _renewing = new();
    private Task? _renewal;
    private bool _releasing;

    /// <summary>The <see cref="LeaseKeeper"/>'s call, on its timer: renews the lease this request holds (one renewal at a time).</summary>
    internal void Renew()
    {
        lock (_renewing)
        {
            if (_releasing || _leaseId is not { } leaseId || _token is not { } token || _renewal is { IsCompleted: false }) return;
            _renewal = RenewAsync(token, leaseId);
        }
    }

    /// <summary>
    /// Acquiring under the id the request holds renews its lease at once. Should the lease be gone, the request finds
    /// out at its commit (lease lost), as it would without renewals.
    /// </summary>
    private async Task RenewAsync(string token, string leaseId)
    {
        try
        {
            using var timeout = new CancellationTokenSource(_options.LeaseTtl);
            await _connection.AcquireAsync(token, leaseId, _options.LeaseTtl, TimeSpan.Zero, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            _keeper.Drop(this);
            LogRenewFailed(ex, Name);
        }
    }

    /// <summary>No renewal may reach the session after its release (it would take the lease again): stops them and waits for one in flight.</summary>
    private Task StopRenewingAsync()
    {
        _keeper.Drop(this);
        lock (_renewing)
        {
            _releasing = true;
            return _renewal ?? Task.CompletedTask;
        }
    }

    /// <summary>The lease and the session without a call (<see cref="ISessionConnection.TryAcquireNow"/>), when the connection can.</summary>
    private bool TryAcquireNow()
    {
        var leaseId = NewLeaseId();
        if (!_connection.TryAcquireNow(_token!, leaseId, _options.LeaseTtl, out var data)) return false;
        Acquired(leaseId, data);
        _available = true;
        _loaded = true;
        return true;
    }

    private static string NewLeaseId() => "r:" + SessionKeys.NewUniqueId();

    private void Acquired(string leaseId, Dictionary<string, byte[]>? data)
    {
        if (data is not null)
        {
            _leaseId = leaseId;
            _keeper.Hold(this);
            ReleaseAtRequestEnd();
        }
        Loaded(data);
    }
}
