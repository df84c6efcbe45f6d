using Orleans.Runtime;
using SessionGrains.Direct;
using SessionGrains.Grains.Storage;
using SessionGrains.Interfaces;
using SessionGrains.Tests.Infrastructure;
using Xunit;

namespace SessionGrains.Tests.Grains;

/// <summary>
/// Storage that is not one consistent copy for a while, as Redis without replica acks is during a failover: a write the
/// caller saw fail may still be stored on a node that a later failover promotes, and while two nodes each take themselves
/// for the primary (a second failover right after the first), a read and a write of the same session can reach different
/// ones. The activation must still lose no change it acknowledged and apply none twice. (The chaos test
/// <c>SentinelWithoutReplicaAcksTests</c> runs the real thing; these pin the two cases it met down.)
/// </summary>
public sealed class SplitStorageTests(ValvedClusterFixture cluster) : IClassFixture<ValvedClusterFixture>
{
    [Fact]
    public async Task A_read_that_reaches_another_primary_than_the_write_does_not_make_the_activation_drop_what_it_acknowledged()
    {
        var session = await cluster.CreateSession(new Dictionary<string, string> { ["n"] = "0" });
        Assert.True((await session.Increment("n", 1, SessionWrite.Unconditional)).Succeeded);
        var behind = await cluster.StoredRows(session);
        Assert.True((await session.Increment("n", 1, SessionWrite.Unconditional)).Succeeded);
        var acknowledged = await cluster.Valve.Read(session.GetGrainId());

        // The node the writes reach lost the last acknowledged write; the node the next two reads reach still has it.
        await cluster.PutBackStoredRows(session, behind);
        cluster.Valve.AnswerReadsFromElsewhere(acknowledged, reads: 2);

        // The write is refused, and the read shows exactly the revision the activation stored last: that is not another
        // activation's write, so the activation keeps its state while the call fails and is retried (as a front end
        // does), until a read and a write reach the same node and it stores the session again.
        Assert.Equal(3, await IncrementRetrying(session, "third"));
        Assert.Equal("3", (await cluster.StoredState(session))!.Data["n"]);
        await Collect();
        Assert.Equal("3", (await session.GetValue("n")).Value!.Json);
    }

    [Fact]
    public async Task A_failed_write_that_was_stored_after_all_never_shares_its_revision_with_a_later_acknowledged_write()
    {
        var session = await cluster.CreateSession(new Dictionary<string, string> { ["n"] = "0" });
        var before = await cluster.StoredRows(session);

        // Node X stores the write of "k1" (counter a), but its caller sees it fail (the connection dropped before the reply).
        cluster.Valve.StoreThenFailNext(new TimeoutException("the reply was lost (injected)"));
        await Assert.ThrowsAsync<TimeoutException>(() => session.Increment("a", 1, new SessionWrite(null, "k1")));
        var onX = await cluster.StoredRows(session);

        // A failover promotes node Y, which never got it; "k2" (counter n) is acknowledged there.
        await cluster.PutBackStoredRows(session, before);
        Assert.Equal(1, await IncrementRetrying(session, "k2"));

        // Another failover promotes X again. Its revision must not pass for Y's: a write on top of X would store only
        // the change since Y's state and leave X's ledger and events, without "k2" (whose retry would then apply twice).
        // The next write finds storage behind what it acknowledged and stores the whole session again, without X's
        // unacknowledged change.
        await cluster.PutBackStoredRows(session, onX);
        Assert.Equal(2, await IncrementRetrying(session, "k3"));

        // Every caller retries as the API asks, after the activation is gone (what it held in memory cannot cover for
        // storage): "k1" applies now, once; "k2" and "k3" are answered from the stored ledger.
        await Collect();
        Assert.Equal(1, await IncrementRetrying(session, "k1", "a"));
        Assert.Equal(1, await IncrementRetrying(session, "k2"));
        Assert.Equal(2, await IncrementRetrying(session, "k3"));
        var stored = (await cluster.StoredState(session))!;
        Assert.Equal(("1", "2"), (stored.Data["a"], stored.Data["n"]));
        await Collect();
        Assert.Equal("1", (await session.GetValue("a")).Value!.Json);
        Assert.Equal("2", (await session.GetValue("n")).Value!.Json);
    }

    [Fact]
    public async Task Storage_found_at_a_write_no_replica_confirmed_is_written_over_not_trusted_as_another_activations()
    {
        var session = await cluster.CreateSession(new Dictionary<string, string> { ["n"] = "0" });
        Assert.Equal(1, await IncrementRetrying(session, "k1"));
        var onTheNewPrimary = await cluster.StoredRows(session);

        // From here the writes reach a primary that is about to be demoted: no replica confirms them, though it stores
        // them. "k2" and "k4" get 503; "k3" and "k5" find it at those unconfirmed writes.
        var unconfirmed = () => new WriteNotReplicatedException("0 of 1 replica(s) confirmed it (injected)");
        cluster.Valve.StoreThenFailNext(unconfirmed());
        await Assert.ThrowsAsync<WriteNotReplicatedException>(() => session.Increment("n", 1, new SessionWrite(null, "k2")));
        Assert.Equal(2, await IncrementRetrying(session, "k3"));
        cluster.Valve.StoreThenFailNext(unconfirmed());
        await Assert.ThrowsAsync<WriteNotReplicatedException>(() => session.Increment("n", 1, new SessionWrite(null, "k4")));
        var k5 = await TryIncrement(session, "k5");

        // The sentinels demote that primary: storage is the new one, which has only "k1". An activation that had taken
        // an unconfirmed write of its own for another activation's, and reloaded, reads it now and has lost "k3".
        await cluster.PutBackStoredRows(session, onTheNewPrimary);
        k5 ??= await IncrementRetrying(session, "k5");
        Assert.Equal(3, k5);
        Assert.Equal(4, await IncrementRetrying(session, "k6"));

        // The callers of the unconfirmed writes retry with their keys: each applies once.
        Assert.Equal(5, await IncrementRetrying(session, "k2"));
        Assert.Equal(6, await IncrementRetrying(session, "k4"));
        Assert.Equal("6", (await cluster.StoredState(session))!.Data["n"]);
        await Collect();
        Assert.Equal("6", (await session.GetValue("n")).Value!.Json);
    }

    /// <summary>One attempt: the counter the call reported, or null when it failed as unavailable.</summary>
    private static async Task<long?> TryIncrement(ISessionGrain session, string key, string counter = "n")
    {
        try
        {
            var reply = await session.Increment(counter, 1, new SessionWrite(null, key));
            Assert.True(reply.Succeeded, reply.Failure?.Detail);
            return reply.Value!.Value;
        }
        catch (Exception ex) when (GrainFailures.IsUnavailable(ex))
        {
            return null;
        }
    }

    /// <summary>Increments under <paramref name="key"/>, retrying failures as a front end does; answers the counter the call reported.</summary>
    private static async Task<long> IncrementRetrying(ISessionGrain session, string key, string counter = "n")
    {
        for (var attempt = 1; attempt <= 5; attempt++)
        {
            if (await TryIncrement(session, key, counter) is { } value) return value;
            // A front end backs off before it retries: long enough for an activation that gave up its state to be gone.
            await Task.Delay(200);
        }
        throw new Xunit.Sdk.XunitException($"increment {key}: no attempt of 5 succeeded");
    }

    private Task Collect() => cluster.Client.GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero);
}
