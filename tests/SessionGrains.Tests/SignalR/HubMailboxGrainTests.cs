using SessionGrains.Interfaces.SignalR;
using SessionGrains.Tests.Grains;
using SessionGrains.Tests.Infrastructure;
using Xunit;

namespace SessionGrains.Tests.SignalR;

/// <summary>The mailbox and group grains on a real silo with SQLite storage: numbering, once-only, retention, reload.</summary>
[Collection(GrainClusterCollection.Name)]
public sealed class HubMailboxGrainTests(GrainClusterFixture cluster)
{
    private static readonly HubRetention Keep3 = new(3, TimeSpan.FromMinutes(10));

    [Fact]
    public async Task Numbers_entries_in_order_and_stores_a_retried_envelope_once()
    {
        var mailbox = cluster.Client.GetGrain<IHubMailboxGrain>(HubKeys.Mailbox("TestHub", "s:" + Guid.NewGuid()));
        var first = Envelope("a");
        await mailbox.Append(first, Keep3);
        await mailbox.Append(first, Keep3); // the sender's retry after a lost reply
        await mailbox.Append(Envelope("b"), Keep3);

        var view = await mailbox.Read(0);
        Assert.Equal(2, view.LastSequence);
        Assert.Equal([1L, 2L], view.Entries.Select(e => e.Sequence));
        Assert.Equal(first.Id, view.Entries[0].Envelope.Id);
        Assert.Equal([2L], (await mailbox.Read(1)).Entries.Select(e => e.Sequence));
    }

    [Fact]
    public async Task Keeps_the_newest_messages_within_the_retention_and_survives_reactivation()
    {
        var key = HubKeys.Mailbox("TestHub", "s:" + Guid.NewGuid());
        var mailbox = cluster.Client.GetGrain<IHubMailboxGrain>(key);
        for (var i = 0; i < 5; i++) await mailbox.Append(Envelope("m" + i), Keep3);

        // A client that last saw 1 gets 3..5: the first entry after the gap tells it 2 has passed the retention.
        Assert.Equal([3L, 4L, 5L], (await mailbox.Read(1)).Entries.Select(e => e.Sequence));

        var management = cluster.Client.GetGrain<IManagementGrain>(0);
        await management.ForceActivationCollection(TimeSpan.Zero);
        var reloaded = await mailbox.Read(0);
        Assert.Equal(5, reloaded.LastSequence);
        Assert.Equal([3L, 4L, 5L], reloaded.Entries.Select(e => e.Sequence));
    }

    [Fact]
    public async Task A_group_send_reaches_each_member_once_and_drops_members_never_attached_past_the_retention()
    {
        var group = cluster.Client.GetGrain<IHubGroupGrain>(HubKeys.Group("TestHub", Guid.NewGuid().ToString()));
        var live = HubKeys.Mailbox("TestHub", "s:" + Guid.NewGuid());
        var gone = HubKeys.Mailbox("TestHub", "s:" + Guid.NewGuid());
        var shortRetention = new HubRetention(10, TimeSpan.FromMilliseconds(1));
        var observer = cluster.Client.CreateObjectReference<IHubDeliveryObserver>(new NoDelivery());
        await cluster.Client.GetGrain<IHubMailboxGrain>(live).Attach(observer, null, shortRetention);
        await group.Add(live);
        await group.Add(gone);

        var envelope = Envelope("hello");
        await group.Send(envelope, [], shortRetention);
        await group.Send(envelope, [], shortRetention); // retried whole: no member stores it twice
        await group.Send(Envelope("again"), [], shortRetention);

        Assert.Equal(2, (await cluster.Client.GetGrain<IHubMailboxGrain>(live).Read(0)).LastSequence);
        // The member that never attached was dropped after the first send: it got that one only.
        Assert.Equal(1, (await cluster.Client.GetGrain<IHubMailboxGrain>(gone).Read(0)).LastSequence);
    }

    private static HubEnvelope Envelope(string text) =>
        new(Guid.NewGuid(), new Dictionary<string, byte[]> { ["json"] = System.Text.Encoding.UTF8.GetBytes(text) });

    private sealed class NoDelivery : IHubDeliveryObserver
    {
        public Task Deliver(string mailbox, IReadOnlyList<MailboxEntry> entries) => Task.CompletedTask;
    }
}
