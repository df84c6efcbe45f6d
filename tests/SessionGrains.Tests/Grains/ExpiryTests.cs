using System.Diagnostics;
using SessionGrains.Interfaces;
using SessionGrains.Tests.Infrastructure;
using Xunit;

namespace SessionGrains.Tests.Grains;

/// <summary>Real-time expiry with idle timeouts of one or two seconds: the only tests that sleep.</summary>
[Collection(GrainClusterCollection.Name)]
public sealed class ExpiryTests(GrainClusterFixture cluster)
{
    private static readonly TimeSpan IdleTimeout = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan PastIdleTimeout = TimeSpan.FromSeconds(1.5);

    [Fact]
    public async Task A_session_idle_for_longer_than_its_timeout_answers_SessionNotFound()
    {
        var session = await cluster.CreateSession(new Dictionary<string, string> { ["a"] = "1" }, IdleTimeout);

        await Task.Delay(PastIdleTimeout);

        Assert.Equal(SessionStatus.SessionNotFound, (await session.Get()).Status);
    }

    [Fact]
    public async Task An_expired_session_has_its_stored_row_deleted_without_being_called()
    {
        // Timed from before the creation: the session's idle time starts when it is created, not when the call returns.
        var deadline = Stopwatch.StartNew();
        var session = await cluster.CreateSession(new Dictionary<string, string> { ["a"] = "1" }, IdleTimeout);
        Assert.NotNull(await cluster.StoredRevision(session));

        while (await cluster.StoredRevision(session) is not null && deadline.Elapsed < TimeSpan.FromSeconds(5)) await Task.Delay(50);

        Assert.Null(await cluster.StoredRevision(session));
        Assert.InRange(deadline.Elapsed, IdleTimeout * 0.9, TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task A_session_that_expired_answers_SessionNotFound_and_its_stored_row_is_gone()
    {
        var session = await cluster.CreateSession(new Dictionary<string, string> { ["a"] = "1" }, IdleTimeout);

        await Task.Delay(PastIdleTimeout);
        var reply = await session.Get();

        Assert.Equal(SessionStatus.SessionNotFound, reply.Status);
        Assert.Null(await cluster.StoredRevision(session));
    }

    [Fact]
    public async Task A_session_read_more_often_than_its_idle_timeout_outlives_it()
    {
        // Two seconds of idle timeout, read every 300 ms for twice as long: only the sliding window keeps it alive.
        var idle = TimeSpan.FromSeconds(2);
        var session = await cluster.CreateSession(new Dictionary<string, string> { ["a"] = "1" }, idle);
        var statuses = new List<SessionStatus>();

        var alive = Stopwatch.StartNew();
        while (alive.Elapsed < 2 * idle)
        {
            await Task.Delay(300);
            statuses.Add((await session.Get()).Status);
        }

        Assert.All(statuses, status => Assert.Equal(SessionStatus.Ok, status));
        Assert.Equal("1", (await session.GetValue("a")).Value?.Json);
    }

    [Fact]
    public async Task A_session_that_expired_while_deactivated_answers_SessionNotFound_when_reactivated()
    {
        var session = await cluster.CreateSession(new Dictionary<string, string> { ["a"] = "1" }, IdleTimeout);
        await cluster.Cluster.DeactivateAsync(session);

        await Task.Delay(PastIdleTimeout);

        Assert.Equal(SessionStatus.SessionNotFound, (await session.Get()).Status);
    }

    [Fact]
    public async Task An_id_whose_session_expired_can_be_created_again_from_scratch()
    {
        var session = await cluster.CreateSession(new Dictionary<string, string> { ["a"] = "1" }, IdleTimeout);
        await Task.Delay(PastIdleTimeout);
        Assert.Equal(SessionStatus.SessionNotFound, (await session.Get()).Status);

        var again = await session.Create(new SessionCreation(new Dictionary<string, string>(), null, null, null));

        Assert.Equal(SessionStatus.Ok, again.Status);
        Assert.Equal(1, again.Value?.Version);
        Assert.Empty((await session.Get()).Value?.Data!);
    }

    [Fact]
    public async Task A_read_mostly_session_refreshes_its_stored_expiry_at_most_once_per_half_idle_timeout()
    {
        var idle = TimeSpan.FromSeconds(2);
        var session = await cluster.CreateSession(new Dictionary<string, string> { ["a"] = "1" }, idle);
        var etags = new HashSet<long?> { await cluster.StoredRevision(session) };

        var reading = Stopwatch.StartNew();
        while (reading.Elapsed < 1.5 * idle)
        {
            await Task.Delay(100);
            Assert.Equal(SessionStatus.Ok, (await session.Get()).Status);
            etags.Add(await cluster.StoredRevision(session));
        }

        var refreshes = etags.Count - 1;
        var mostAllowed = (int)Math.Ceiling(reading.Elapsed / (idle / 2));
        Assert.InRange(refreshes, 1, mostAllowed);
    }
}
