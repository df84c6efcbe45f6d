using Orleans.Concurrency;
using SessionGrains.Grains.Storage;
using SessionGrains.Interfaces;
using SessionGrains.Interfaces.SignalR;

namespace SessionGrains.Grains.SignalR;

/// <summary>
/// A group's members, persisted. Reentrant: sends to a large group wait on many mailboxes, and joins or other sends
/// must not queue behind them. Each member's mailbox orders what it gets, so no order is needed here.
/// </summary>
[Reentrant]
public sealed class HubGroupGrain : Grain, IHubGroupGrain
{
    private readonly IPersistentState<HubGroupState> _store;
    private readonly TimeProvider _clock;
    private readonly CoalescedWrites _writes;

    public HubGroupGrain([PersistentState("hub-group", SessionStorage.Name)] IPersistentState<HubGroupState> store, TimeProvider clock)
    {
        _store = store;
        _clock = clock;
        _writes = new CoalescedWrites(() => _store.WriteStateAsync());
    }

    private Dictionary<string, DateTimeOffset> Members => _store.State.Members;

    public async Task Add(string mailbox)
    {
        if (!Members.TryAdd(mailbox, _clock.GetUtcNow())) return;
        await _writes.Save();
    }

    public async Task Remove(string mailbox)
    {
        if (!Members.Remove(mailbox)) return;
        await _writes.Save();
    }

    public async Task Send(HubEnvelope envelope, IReadOnlyList<string> except, HubRetention retention)
    {
        var started = _clock.GetUtcNow();
        var targets = except.Count == 0 ? [.. Members.Keys] : Members.Keys.Except(except, StringComparer.Ordinal).ToList();
        var abandoned = await Task.WhenAll(targets.Select(m => GrainFactory.Reference<IHubMailboxGrain>(m).Append(envelope, retention)));
        var removed = false;
        for (var i = 0; i < targets.Count; i++)
        {
            // A member that joined again while the send was under way is kept: its join time is newer than the send.
            if (abandoned[i] && Members.TryGetValue(targets[i], out var joined) && joined < started) removed |= Members.Remove(targets[i]);
        }
        if (removed) await _writes.Save();
    }
}
