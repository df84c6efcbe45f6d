using System.Diagnostics;

namespace SessionGrains.Grains;

/// <summary>
/// A token bucket on the monotonic clock: <c>rate</c> tokens a second, holding at most <c>rate</c>.
/// A mutable struct, kept in a field of its owner to cost no allocation per session.
/// </summary>
public struct TokenBucket(int ratePerSecond)
{
    private double _tokens = ratePerSecond;
    private long _lastRefill = Stopwatch.GetTimestamp();
    private readonly int _rate = ratePerSecond;

    /// <summary>Tokens available now (a session that moves to another silo takes its bucket along).</summary>
    public double Available
    {
        get
        {
            var elapsed = Stopwatch.GetElapsedTime(_lastRefill).TotalSeconds;
            return Math.Min(_rate, _tokens + elapsed * _rate);
        }
    }

    /// <summary>A bucket holding <paramref name="tokens"/> now.</summary>
    public static TokenBucket Holding(int ratePerSecond, double tokens) => new(ratePerSecond) { _tokens = Math.Clamp(tokens, 0, ratePerSecond) };

    /// <summary>Takes one token, or says how long until one is available.</summary>
    public bool TryTake(out TimeSpan retryAfter)
    {
        var now = Stopwatch.GetTimestamp();
        var elapsed = Stopwatch.GetElapsedTime(_lastRefill, now).TotalSeconds;
        _lastRefill = now;
        _tokens = Math.Min(_rate, _tokens + elapsed * _rate);
        if (_tokens >= 1)
        {
            _tokens -= 1;
            retryAfter = TimeSpan.Zero;
            return true;
        }
        retryAfter = TimeSpan.FromSeconds((1 - _tokens) / _rate);
        return false;
    }
}
