using System.Diagnostics;
using SessionGrains.Interfaces;
using Xunit;

namespace SessionGrains.Tests.Grains;

/// <summary>Sessions of <see cref="ThrottledGrainClusterFixture"/> may make 5 requests a second (burst 5).</summary>
public sealed class RateLimitTests(ThrottledGrainClusterFixture cluster) : IClassFixture<ThrottledGrainClusterFixture>
{
    private const int Burst = ThrottledGrainClusterFixture.RequestsPerSecond;

    [Fact]
    public async Task A_burst_beyond_the_rate_limit_is_answered_RateLimited_with_a_retry_after_of_at_least_a_second()
    {
        var session = await cluster.CreateSession();

        var replies = await Task.WhenAll(Enumerable.Range(0, 4 * Burst).Select(_ => session.Get()));

        var refused = replies.Where(r => r.Status == SessionStatus.RateLimited).ToList();
        Assert.NotEmpty(refused);
        Assert.All(refused, reply => Assert.True(reply.RetryAfterSeconds >= 1, $"Retry-After {reply.RetryAfterSeconds}"));
        Assert.InRange(replies.Count(r => r.Status == SessionStatus.Ok), 1, Burst);
    }

    [Fact]
    public async Task A_rate_limited_write_changes_nothing()
    {
        var session = await cluster.CreateSession();
        await Task.WhenAll(Enumerable.Range(0, 2 * Burst).Select(_ => session.GetValue("a")));

        var reply = await session.Put("a", "1", SessionWrite.Unconditional);

        Assert.Equal(SessionStatus.RateLimited, reply.Status);
        Assert.Equal(SessionStatus.KeyNotFound, (await Eventually(() => session.GetValue("a"))).Status);
    }

    [Fact]
    public async Task A_rate_limited_session_is_admitted_again_once_its_bucket_refills()
    {
        var session = await cluster.CreateSession();
        var replies = await Task.WhenAll(Enumerable.Range(0, 2 * Burst).Select(_ => session.Get()));
        Assert.Contains(replies, r => r.Status == SessionStatus.RateLimited);

        var admitted = await Eventually(session.Get);

        Assert.Equal(SessionStatus.Ok, admitted.Status);
    }

    [Fact]
    public async Task The_rate_limit_applies_per_session()
    {
        var busy = await cluster.CreateSession();
        var quiet = await cluster.CreateSession();

        await Task.WhenAll(Enumerable.Range(0, 2 * Burst).Select(_ => busy.Get()));

        Assert.Equal(SessionStatus.RateLimited, (await busy.Get()).Status);
        Assert.Equal(SessionStatus.Ok, (await quiet.Get()).Status);
    }

    /// <summary>Calls until the call is no longer rate limited, within a deadline.</summary>
    private static async Task<SessionReply> Eventually(Func<Task<SessionReply>> call)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var reply = await call();
            if (reply.Status != SessionStatus.RateLimited || deadline.Elapsed > TimeSpan.FromSeconds(3)) return reply;
            await Task.Delay(50);
        }
    }
}
