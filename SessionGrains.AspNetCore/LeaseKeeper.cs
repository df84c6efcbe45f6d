using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace SessionGrains.AspNetCore;

/// <summary>
/// Keeps the leases of this app's requests alive while they run, so that a lease can be short: a request renews its
/// lease once it has held it for a third of <see cref="SessionGrainsOptions.LeaseTtl"/>, and again each third after that.
/// A request of an app that dies (a crash, a kill, a lost machine) renews nothing, and the next request of the session,
/// from any app server, gets the lease within the time to live instead of waiting for a long one to lapse.
/// One timer for the app, not one per request: a page that ends within the first third (nearly every page) costs an
/// entry in a dictionary and nothing else.
/// </summary>
internal sealed class LeaseKeeper : IDisposable
{
    private readonly ConcurrentDictionary<SessionGrainsSession, long> _held = new(ReferenceEqualityComparer.Instance);
    private readonly long _periodMs;
    private readonly Timer _timer;

    public LeaseKeeper(IOptions<SessionGrainsOptions> options)
    {
        var period = options.Value.LeaseTtl / 3;
        _periodMs = (long)period.TotalMilliseconds;
        // Checked twice a period: a lease is renewed between one third and one half of its time to live after the last renewal.
        _timer = new Timer(_ => RenewDue(), null, period / 2, period / 2);
    }

    /// <summary>A request took its session's lease.</summary>
    public void Hold(SessionGrainsSession session) => _held[session] = Environment.TickCount64;

    /// <summary>The request gives its lease back (or lost it): no renewal from here on.</summary>
    public void Drop(SessionGrainsSession session) => _held.TryRemove(session, out _);

    public void Dispose() => _timer.Dispose();

    private void RenewDue()
    {
        var now = Environment.TickCount64;
        foreach (var (session, since) in _held)
        {
            if (now - since < _periodMs || !_held.TryUpdate(session, now, since)) continue;
            session.Renew();
        }
    }
}
