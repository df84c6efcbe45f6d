using Microsoft.Extensions.Logging;
using Orleans.Concurrency;
using SessionGrains.Grains.Storage;
using SessionGrains.Interfaces.SignalR;

namespace SessionGrains.Grains.SignalR;

/// <summary>
/// One recipient's mailbox. Reentrant so that appends arriving during a write share the next write; sequence numbers
/// are given out synchronously within a turn, so they follow arrival order. Entries are pushed only after the write
/// that stored them, oldest first, so a front end never shows a message that a silo failure could still lose.
/// </summary>
[Reentrant]
public sealed partial class HubMailboxGrain : Grain, IHubMailboxGrain
{
    /// <summary>A front end that has not renewed its subscription for this long is taken to be gone.</summary>
    private static readonly TimeSpan ObserverExpiry = TimeSpan.FromMinutes(2);

    private readonly IPersistentState<HubMailboxState> _store;
    private readonly TimeProvider _clock;
    private readonly ILogger<HubMailboxGrain> _logger;
    private readonly CoalescedWrites _writes;
    private readonly Dictionary<IHubDeliveryObserver, DateTimeOffset> _observers = [];
    private HashSet<Guid>? _ids;
    private long _pushed;
    private long _stored;
    private bool _failed;

    public HubMailboxGrain(
        [PersistentState("hub-mailbox", SessionStorage.Name)] IPersistentState<HubMailboxState> store,
        TimeProvider clock,
        ILogger<HubMailboxGrain> logger)
    {
        _store = store;
        _clock = clock;
        _logger = logger;
        _writes = new CoalescedWrites(async () =>
        {
            var including = State.LastSequence;
            await _store.WriteStateAsync();
            _stored = Math.Max(_stored, including);
        });
    }

    private HubMailboxState State => _store.State;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // Whatever was stored before this activation has been pushed, or will be read by a front end that sees a gap.
        _pushed = _stored = State.LastSequence;
        return Task.CompletedTask;
    }

    public async Task<bool> Append(HubEnvelope envelope, HubRetention retention)
    {
        ThrowIfFailed();
        var now = _clock.GetUtcNow();
        _ids ??= [.. State.Entries.Select(e => e.Envelope.Id)];
        if (_ids.Add(envelope.Id))
        {
            State.Entries.Add(new MailboxEntry(++State.LastSequence, envelope, now));
            Trim(retention, now);
            State.PurgeAfter = now + retention.Lifetime + TimeSpan.FromDays(1);
        }
        await Save();
        Push();
        ExpireObservers(now);
        return _observers.Count == 0 && now - State.LastAttachedAt > retention.Lifetime;
    }

    public async Task<MailboxView> Attach(IHubDeliveryObserver observer, long? after, HubRetention retention)
    {
        ThrowIfFailed();
        var now = _clock.GetUtcNow();
        _observers[observer] = now;
        // Written only now and then: it tells groups the mailbox is in use, which a quarter of the retention can't change.
        if (now - State.LastAttachedAt > retention.Lifetime / 4)
        {
            State.LastAttachedAt = now;
            State.PurgeAfter = now + retention.Lifetime + TimeSpan.FromDays(1);
            await Save();
        }
        return View(after ?? _stored);
    }

    public Task<MailboxView> Read(long after) => Task.FromResult(View(after));

    public Task Detach(IHubDeliveryObserver observer)
    {
        _observers.Remove(observer);
        return Task.CompletedTask;
    }

    private MailboxView View(long after)
    {
        var entries = State.Entries;
        // Only stored entries are shown: one still being written could yet be lost with this silo.
        // Sequence numbers are consecutive within the list, so indexes are computed, not searched.
        var first = entries.Count == 0 ? 0 : entries[0].Sequence;
        var skip = entries.Count == 0 ? 0 : (int)Math.Clamp(after - first + 1, 0, entries.Count);
        var end = entries.Count == 0 ? 0 : (int)Math.Clamp(_stored - first + 1, skip, entries.Count);
        return new MailboxView(_stored, entries.GetRange(skip, end - skip));
    }

    private void Trim(HubRetention retention, DateTimeOffset now)
    {
        var entries = State.Entries;
        var excess = entries.Count - retention.MaxMessages;
        var expired = 0;
        while (expired < entries.Count && now - entries[expired].StoredAt > retention.Lifetime) expired++;
        var drop = Math.Max(excess, expired);
        if (drop <= 0) return;
        foreach (var entry in entries.Take(drop)) _ids?.Remove(entry.Envelope.Id);
        entries.RemoveRange(0, drop);
    }

    private async Task Save()
    {
        try
        {
            await _writes.Save();
        }
        catch (Exception ex)
        {
            // Memory now holds entries storage may not: serve nothing more from it; the caller's retry meets a fresh activation.
            _failed = true;
            LogWriteFailed(ex, this.GetPrimaryKeyString());
            DeactivateOnIdle();
            throw;
        }
    }

    /// <summary>Pushes every stored entry not pushed yet, oldest first, to every subscribed front end.</summary>
    private void Push()
    {
        if (_pushed >= _stored) return;
        var view = View(_pushed);
        _pushed = _stored;
        if (view.Entries.Count == 0) return;
        var key = this.GetPrimaryKeyString();
        foreach (var observer in _observers.Keys) _ = observer.Deliver(key, view.Entries);
    }

    private void ExpireObservers(DateTimeOffset now)
    {
        foreach (var (observer, renewedAt) in _observers)
        {
            if (now - renewedAt > ObserverExpiry) _observers.Remove(observer);
        }
    }

    private void ThrowIfFailed()
    {
        if (_failed) throw new InvalidOperationException($"Hub mailbox {this.GetPrimaryKeyString()} is reloading after a failed write; retry.");
    }

    [LoggerMessage(EventId = 5101, Level = LogLevel.Warning, Message = "Hub mailbox {Mailbox} could not store its state; it reloads on the next call")]
    private partial void LogWriteFailed(Exception ex, string mailbox);
}
