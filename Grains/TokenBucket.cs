using System.Diagnostics;

namespace SessionGrains.Grains;

/// <summary>A token bucket on the monotonic clock: <c>rate</c> tokens a second, holding at most <c>rate</c>.</summary>
public sealed class TokenBucket(int ratePerSecond)
{
    private double _tokens = ratePerSecond;
    private long _lastRefill = Stopwatch.GetTimestamp();

    /// <summary>Takes one token, or says how long until one is available.</summary>
    public bool TryTake(out TimeSpan retryAfter)
    {
        var now = Stopwatch.GetTimestamp();
        var elapsed = Stopwatch.GetElapsedTime(_lastRefill, now).TotalSeconds;
        _lastRefill = now;
        _tokens = Math.Min(ratePerSecond, _tokens + elapsed * ratePerSecond);
        if (_tokens >= 1)
        {
            _tokens -= 1;
            retryAfter = TimeSpan.Zero;
            return true;
        }
        retryAfter = TimeSpan.FromSeconds((1 - _tokens) / ratePerSecond);
        return false;
    }
}
