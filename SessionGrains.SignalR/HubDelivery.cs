using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SessionGrains.Interfaces;
using SessionGrains.Interfaces.SignalR;

namespace SessionGrains.SignalR;

/// <summary>
/// This server's live hub connections by mailbox, and the one observer through which mailboxes push to it. Renews
/// every subscription periodically and soon after the set of reachable silos changes: a mailbox reactivated on another
/// silo has no subscribers, and the renewal also tells each connection how far its mailbox has got.
/// </summary>
public sealed partial class HubDelivery : IHubDeliveryObserver, IHostedService
{
    private readonly Dictionary<string, List<LiveConnection>> _byMailbox = new(StringComparer.Ordinal);
    private readonly IGrainFactory _grains;
    private readonly HubCalls _calls;
    private readonly SessionGrainsHubOptions _options;
    private readonly ILogger<HubDelivery> _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly SemaphoreSlim _renewSoon = new(0, 1);
    private IHubDeliveryObserver? _reference;
    private Task _renewal = Task.CompletedTask;

    public HubDelivery(IGrainFactory grains, HubCalls calls, IOptions<SessionGrainsHubOptions> options, ILogger<HubDelivery> logger)
    {
        _grains = grains;
        _calls = calls;
        _options = options.Value;
        _logger = logger;
    }

    private IHubDeliveryObserver Reference
    {
        get
        {
            lock (_byMailbox) return _reference ??= _grains.CreateObjectReference<IHubDeliveryObserver>(this);
        }
    }

    /// <summary>Subscribes the connection's mailbox, then starts the connection's loop with the replay after <paramref name="resumeAfter"/>.</summary>
    public async Task Open(LiveConnection live, long? resumeAfter)
    {
        var observer = Reference;
        lock (_byMailbox)
        {
            if (!_byMailbox.TryGetValue(live.Mailbox, out var list)) _byMailbox[live.Mailbox] = list = [];
            list.Add(live);
        }
        var view = await _calls.Run(() => Mailbox(live.Mailbox).Attach(observer, resumeAfter, _options.Retention), live.Context.ConnectionAborted);
        if (resumeAfter is { } after && view.Entries.Count > 0 && view.Entries[0].Sequence > after + 1) LogExpired(live.Mailbox, after, view.Entries[0].Sequence);
        _ = Pump(live, resumeAfter, view);
    }

    public void Close(LiveConnection live)
    {
        live.Stop();
        lock (_byMailbox)
        {
            if (!_byMailbox.TryGetValue(live.Mailbox, out var list) || !list.Remove(live) || list.Count > 0) return;
            _byMailbox.Remove(live.Mailbox);
        }
        _ = Detach(live.Mailbox);
    }

    public Task Deliver(string mailbox, IReadOnlyList<MailboxEntry> entries)
    {
        foreach (var live in ConnectionsOf(mailbox)) live.Offer(entries);
        return Task.CompletedTask;
    }

    /// <summary>Asks for a renewal within a second (the cluster's gateways changed: a silo may have died).</summary>
    public void RenewSoon()
    {
        if (_renewSoon.CurrentCount == 0) _renewSoon.Release();
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _renewal = RenewPeriodically();
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        await _renewal.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    private async Task Pump(LiveConnection live, long? resumeAfter, MailboxView view)
    {
        try
        {
            await live.Run(resumeAfter, view, live.Context.ConnectionAborted);
        }
        catch (Exception ex) when (!live.Context.ConnectionAborted.IsCancellationRequested)
        {
            // The mailbox could not be read within the deadline: the client reconnects and resumes where it was.
            LogPumpFailed(ex, live.Context.ConnectionId);
            live.Context.Abort();
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task RenewPeriodically()
    {
        // After the gateways change, renew every 2 s for a while: a mailbox of a dead silo can only be reached again once
        // the silo is declared dead, and until a renewal reaches it, its recipient's messages are stored but not pushed.
        var followUps = 0;
        while (!_stopping.IsCancellationRequested)
        {
            try
            {
                var soon = await _renewSoon.WaitAsync(followUps > 0 ? TimeSpan.FromSeconds(2) : _options.RenewInterval, _stopping.Token);
                if (soon)
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), _stopping.Token);
                    followUps = 6;
                }
                else if (followUps > 0)
                {
                    followUps--;
                }
                await RenewAll();
            }
            catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // Never let one bad round end the renewals: without them a moved mailbox would stay silent.
                LogRenewRoundFailed(ex);
            }
        }
    }

    private async Task RenewAll()
    {
        List<(string Mailbox, List<LiveConnection> Connections)> all;
        lock (_byMailbox) all = [.. _byMailbox.Select(e => (e.Key, e.Value.ToList()))];
        if (all.Count > 0) LogRenewing(all.Count);
        var observer = Reference;
        await Parallel.ForEachAsync(all, new ParallelOptions { MaxDegreeOfParallelism = 64, CancellationToken = _stopping.Token }, async (item, token) =>
        {
            try
            {
                var view = await _calls.Run(() => Mailbox(item.Mailbox).Attach(observer, null, _options.Retention), token);
                foreach (var live in item.Connections)
                {
                    live.Poke(view.LastSequence);
                    await _grains.Reference<IHubConnectionGrain>(live.ConnectionKey).Set(live.Mailbox);
                }
            }
            catch (Exception ex) when (!token.IsCancellationRequested)
            {
                LogRenewFailed(ex, item.Mailbox);
            }
        });
    }

    private async Task Detach(string mailbox)
    {
        try
        {
            await Mailbox(mailbox).Detach(Reference);
        }
        catch (Exception ex)
        {
            // The mailbox forgets this server on its own once the subscription is not renewed.
            LogDetachFailed(ex, mailbox);
        }
    }

    private List<LiveConnection> ConnectionsOf(string mailbox)
    {
        lock (_byMailbox) return _byMailbox.TryGetValue(mailbox, out var list) ? [.. list] : [];
    }

    private IHubMailboxGrain Mailbox(string key) => _grains.Reference<IHubMailboxGrain>(key);

    [LoggerMessage(EventId = 5201, Level = LogLevel.Debug, Message = "Renewing {Count} hub mailbox subscriptions")]
    private partial void LogRenewing(int count);

    [LoggerMessage(EventId = 5202, Level = LogLevel.Warning, Message = "Could not renew the subscription to hub mailbox {Mailbox}; the next renewal tries again")]
    private partial void LogRenewFailed(Exception ex, string mailbox);

    [LoggerMessage(EventId = 5206, Level = LogLevel.Warning, Message = "A round of hub mailbox renewals failed; the next round tries again")]
    private partial void LogRenewRoundFailed(Exception ex);

    [LoggerMessage(EventId = 5203, Level = LogLevel.Debug, Message = "Could not detach from hub mailbox {Mailbox}")]
    private partial void LogDetachFailed(Exception ex, string mailbox);

    [LoggerMessage(EventId = 5204, Level = LogLevel.Warning, Message = "Hub connection {ConnectionId} aborted: its mailbox could not be read")]
    private partial void LogPumpFailed(Exception ex, string connectionId);

    [LoggerMessage(EventId = 5205, Level = LogLevel.Information, Message = "Hub mailbox {Mailbox} resumed after {After} but keeps only from {First}: the messages between passed the retention")]
    private partial void LogExpired(string mailbox, long after, long first);
}
