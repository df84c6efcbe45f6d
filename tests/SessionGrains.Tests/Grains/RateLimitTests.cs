using System.Diagnostics;
using SessionGrains.Interfaces;
using Xunit;

namespace SessionGrains.Tests.Grains;

/// <summary>
/// Sessions of <see cref="ThrottledGrainClusterFixture"/> may make 5 requests a second (burst 5). Bursts are
/// four times that, so that a slow machine refilling the bucket mid-burst cannot admit all of them.
/// </summary>
public sealed class RateLimitTests(ThrottledGrainClusterFixture cluster) : IClassFixture<ThrottledGrainClusterFixture>
{
    private const int Rate = ThrottledGrainClusterFixture.RequestsPerSecond;
    private const int Burst = 4 * Rate;

    [Fact]
    public async Task A_burst_beyond_the_rate_limit_is_answered_RateLimited_with_a_retry_after_of_at_least_a_second()
    {
        var session = await cluster.CreateSession();

        var burst = Stopwatch.StartNew();
        var replies = await Task.WhenAll(Enumerable.Range(0, Burst).Select(_ => session.Get()));
        var refilled = (int)Math.Ceiling(burst.Elapsed.TotalSeconds * Rate);

        var refused = replies.Where(r => r.Status == SessionStatus.RateLimited).ToList();
        Assert.NotEmpty(refused);
        Assert.All(refused, reply => Assert.True(reply.Failure?.RetryAfterSeconds >= 1, $"Retry-After {reply.Failure?.RetryAfterSeconds}"));
        Assert.InRange(replies.Count(r => r.Status == SessionStatus.Ok), 1, Rate + refilled);
    }

    [Fact]
    public async Task Rate_limited_writes_are_not_applied()
    {
        var session = await cluster.CreateSession();

        var replies = await Task.WhenAll(Enumerable.Range(0, Burst).Select(i => session.Increment("n", 1, SessionWrite.Unconditional)));

        var applied = replies.Count(r => r.Status == SessionStatus.Ok);
        Assert.Contains(replies, r => r.Status == SessionStatus.RateLimited);
        var value = await Eventually(() => session.GetValue("n"));
        Assert.Equal(applied.ToString(), value.Value?.Json);
    }

    [Fact]
    public async Task A_rate_limited_session_is_admitted_again_once_its_bucket_refills()
    {
        var session = await cluster.CreateSession();
        var replies = await Task.WhenAll(Enumerable.Range(0, Burst).Select(_ => session.Get()));
        Assert.Contains(replies, r => r.Status == SessionStatus.RateLimited);

        var admitted = await Eventually(session.Get);

        Assert.Equal(SessionStatus.Ok, admitted.Status);
    }

    [Fact]
    public async Task The_rate_limit_applies_per_session()
    {
        var busy = await cluster.CreateSession();
        var quiet = await cluster.CreateSession();

        var busyReplies = await Task.WhenAll(Enumerable.Range(0, Burst).Select(_ => busy.Get()));
        var quietReply = await quiet.Get();

        Assert.Contains(busyReplies, r => r.Status == SessionStatus.RateLimited);
        Assert.Equal(SessionStatus.Ok, quietReply.Status);
    }

    /// <summary>Calls until the call is no longer rate limited, within a deadline.</summary>
    private static async Task<Reply<T>> Eventually<T>(Func<Task<Reply<T>>> call) where T : class
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var reply = await call();
            if (reply.Status != SessionStatus.RateLimited || deadline.Elapsed > TimeSpan.FromSeconds(5)) return reply;
            await Task.Delay(50);
        }
    }
}
