using System.Diagnostics;
using SessionGrains.Interfaces;
using SessionGrains.Tests.Grains;
using SessionGrains.Tests.Infrastructure;
using Xunit;

namespace SessionGrains.Tests.Leases;

/// <summary>The request lease on the session grain: FIFO hand-over, waiting without blocking, commit-and-release, loss.</summary>
[Collection(GrainClusterCollection.Name)]
public sealed class LeaseGrainTests(GrainClusterFixture cluster)
{
    private static readonly TimeSpan Ttl = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task A_free_lease_is_granted_with_the_session_and_a_held_one_is_busy_until_released()
    {
        var session = await cluster.CreateSession(new Dictionary<string, string> { ["n"] = "1" });

        var first = await session.AcquireLease("a", Ttl, TimeSpan.Zero);
        Assert.True(first.Succeeded, first.Failure?.Detail);
        Assert.Equal("1", first.Value.Session.Data["n"]);
        Assert.Equal(1, first.Value.Session.Info.Version);

        var busy = await session.AcquireLease("b", Ttl, TimeSpan.FromMilliseconds(100));
        Assert.Equal(SessionStatus.LeaseBusy, busy.Status);
        Assert.True(busy.Failure!.RetryAfterSeconds >= 1);

        Assert.True((await session.ReleaseLease("a", null, SessionWrite.Unconditional)).Succeeded);
        Assert.True((await session.AcquireLease("b", Ttl, TimeSpan.Zero)).Succeeded);
    }

    [Fact]
    public async Task Waiters_get_the_lease_first_come_first_served_and_see_what_the_holder_committed()
    {
        var session = await cluster.CreateSession(new Dictionary<string, string> { ["n"] = "0" });
        Assert.True((await session.AcquireLease("a", Ttl, TimeSpan.Zero)).Succeeded);

        var b = session.AcquireLease("b", Ttl, Long);
        await Task.Delay(100);
        var c = session.AcquireLease("c", Ttl, Long);
        await Task.Delay(100);
        Assert.False(b.IsCompleted);
        Assert.False(c.IsCompleted);

        var committed = await session.ReleaseLease("a", """{"n":1}""", new SessionWrite(null, "commit-a"));
        Assert.True(committed.Succeeded, committed.Failure?.Detail);
        var grantedB = await b.WaitAsync(Long);
        Assert.True(grantedB.Succeeded);
        Assert.Equal("1", grantedB.Value.Session.Data["n"]);
        Assert.Equal(committed.Value.Version, grantedB.Value.Session.Info.Version);
        await Task.Delay(100);
        Assert.False(c.IsCompleted);

        Assert.True((await session.ReleaseLease("b", """{"n":2}""", new SessionWrite(null, "commit-b"))).Succeeded);
        var grantedC = await c.WaitAsync(Long);
        Assert.Equal("2", grantedC.Value!.Session.Data["n"]);
    }

    [Fact]
    public async Task A_waiting_acquire_does_not_block_other_calls_and_writes_without_a_lease_go_on()
    {
        var session = await cluster.CreateSession();
        Assert.True((await session.AcquireLease("a", Ttl, TimeSpan.Zero)).Succeeded);
        var waiting = session.AcquireLease("b", Ttl, Long);

        var clock = Stopwatch.StartNew();
        Assert.True((await session.Get()).Succeeded);
        Assert.True((await session.Put("free", "true", SessionWrite.Unconditional)).Succeeded);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"calls waited {clock.Elapsed} behind a waiting acquire");
        Assert.False(waiting.IsCompleted);

        await session.ReleaseLease("a", null, SessionWrite.Unconditional);
        Assert.Equal("true", (await waiting.WaitAsync(Long)).Value!.Session.Data["free"]);
    }

    [Fact]
    public async Task Writes_under_a_lease_not_in_force_are_refused_and_change_nothing()
    {
        var session = await cluster.CreateSession(new Dictionary<string, string> { ["n"] = "0" });

        var unknown = await session.Put("n", "5", new SessionWrite(null, null, "never-acquired"));
        Assert.Equal(SessionStatus.LeaseLost, unknown.Status);

        Assert.True((await session.AcquireLease("a", Ttl, TimeSpan.Zero)).Succeeded);
        Assert.True((await session.Put("n", "1", new SessionWrite(null, null, "a"))).Succeeded);
        await session.ReleaseLease("a", null, SessionWrite.Unconditional);
        var afterRelease = await session.ReleaseLease("a", """{"n":9}""", new SessionWrite(null, "late"));
        Assert.Equal(SessionStatus.LeaseLost, afterRelease.Status);
        Assert.Equal("1", (await session.GetValue("n")).Value!.Json);
    }

    [Fact]
    public async Task An_expired_lease_is_taken_over_by_a_waiter_and_its_holder_can_no_longer_write()
    {
        var session = await cluster.CreateSession();
        Assert.True((await session.AcquireLease("crashed", TimeSpan.FromSeconds(1), TimeSpan.Zero)).Succeeded);

        var clock = Stopwatch.StartNew();
        var next = await session.AcquireLease("next", Ttl, Long);
        Assert.True(next.Succeeded, next.Failure?.Detail);
        Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(5));

        Assert.Equal(SessionStatus.LeaseLost, (await session.Patch("""{"k":1}""", new SessionWrite(null, null, "crashed"))).Status);
        Assert.True((await session.Patch("""{"k":2}""", new SessionWrite(null, null, "next"))).Succeeded);
    }

    [Fact]
    public async Task Acquiring_again_under_the_same_id_renews_the_lease_instead_of_waiting()
    {
        var session = await cluster.CreateSession();
        var first = await session.AcquireLease("same", Ttl, TimeSpan.Zero);
        var again = await session.AcquireLease("same", Ttl, TimeSpan.Zero);
        Assert.True(again.Succeeded, again.Failure?.Detail);
        Assert.True(again.Value.ExpiresAt >= first.Value!.ExpiresAt);
    }

    [Fact]
    public async Task A_new_activation_holds_no_lease_so_writes_under_the_old_one_are_refused()
    {
        var session = await cluster.CreateSession();
        Assert.True((await session.AcquireLease("before", Ttl, TimeSpan.Zero)).Succeeded);
        // Another activation wrote the session: this one fails its next write and is deactivated.
        await cluster.ReplaceStoredRevision(session);
        await Assert.ThrowsAnyAsync<Exception>(() => session.Put("x", "1", SessionWrite.Unconditional));

        Reply<Written> refused = default;
        for (var attempt = 0; attempt < 50; attempt++)
        {
            try
            {
                refused = await session.Put("x", "2", new SessionWrite(null, null, "before"));
                break;
            }
            catch (Exception) when (attempt < 49)
            {
                await Task.Delay(100);
            }
        }
        Assert.Equal(SessionStatus.LeaseLost, refused.Status);
        Assert.True((await session.AcquireLease("after", Ttl, TimeSpan.Zero)).Succeeded);
    }

    [Fact]
    public async Task A_retry_under_the_same_lease_id_keeps_the_place_of_a_first_call_that_gave_up()
    {
        var session = await cluster.CreateSession();
        Assert.True((await session.AcquireLease("a", Ttl, TimeSpan.Zero)).Succeeded);
        var first = session.AcquireLease("b", Ttl, TimeSpan.FromMilliseconds(400));
        await Task.Delay(100);
        var retry = session.AcquireLease("b", Ttl, Long);
        await Task.Delay(100);
        var later = session.AcquireLease("c", Ttl, Long);

        Assert.Equal(SessionStatus.LeaseBusy, (await first.WaitAsync(Long)).Status);
        await session.ReleaseLease("a", null, SessionWrite.Unconditional);
        Assert.True((await retry.WaitAsync(Long)).Succeeded);
        await Task.Delay(100);
        Assert.False(later.IsCompleted);
        await session.ReleaseLease("b", null, SessionWrite.Unconditional);
        Assert.True((await later.WaitAsync(Long)).Succeeded);
    }

    [Fact]
    public async Task Waiters_of_a_deleted_session_are_told_it_is_gone()
    {
        var session = await cluster.CreateSession();
        Assert.True((await session.AcquireLease("a", Ttl, TimeSpan.Zero)).Succeeded);
        var waiting = session.AcquireLease("b", Ttl, Long);
        await Task.Delay(100);

        Assert.True((await session.Delete(SessionWrite.Unconditional)).Succeeded);
        Assert.Equal(SessionStatus.SessionNotFound, (await waiting.WaitAsync(Long)).Status);
    }
}
