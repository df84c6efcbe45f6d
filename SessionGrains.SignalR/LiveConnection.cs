using System.Threading.Channels;
using Microsoft.AspNetCore.SignalR;
using SessionGrains.Interfaces.SignalR;

namespace SessionGrains.SignalR;

/// <summary>
/// One connection on this server and what it has been sent. A single loop writes to it, so entries go out in sequence
/// order, each once: an entry at or below <see cref="Delivered"/> is skipped, and one beyond the next number (a push
/// was lost, or the mailbox moved silos) makes the loop read the missing ones from the mailbox first.
/// </summary>
public sealed class LiveConnection
{
    private readonly Channel<MailboxEntry> _incoming = Channel.CreateUnbounded<MailboxEntry>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Func<long, Task<MailboxView>> _read;

    public LiveConnection(HubConnectionContext context, string mailbox, string connectionKey, Func<long, Task<MailboxView>> read)
    {
        Context = context;
        Mailbox = mailbox;
        ConnectionKey = connectionKey;
        _read = read;
    }

    public HubConnectionContext Context { get; }

    public string Mailbox { get; }

    /// <summary>The key of the grain that tells other servers which mailbox this connection belongs to.</summary>
    public string ConnectionKey { get; }

    /// <summary>The last sequence number written to the connection.</summary>
    public long Delivered { get; private set; }

    /// <summary>Entries pushed by the mailbox, in any order, possibly again.</summary>
    public void Offer(IReadOnlyList<MailboxEntry> entries)
    {
        foreach (var entry in entries) _incoming.Writer.TryWrite(entry);
    }

    /// <summary>The mailbox has entries up to <paramref name="last"/>: fetch any this connection lacks.</summary>
    public void Poke(long last) => _incoming.Writer.TryWrite(new MailboxEntry(last, null!, default));

    public void Stop() => _incoming.Writer.TryComplete();

    /// <summary>Sends the replay (entries after the client's resume point), or the current number to a new client, then runs the loop.</summary>
    public async Task Run(long? resumeAfter, MailboxView view, CancellationToken stopping)
    {
        if (resumeAfter is { } after && after <= view.LastSequence)
        {
            Delivered = after;
            await Write(view.Entries);
        }
        else
        {
            // A new client, or one ahead of the mailbox (its log expired and started again): it starts from here.
            Delivered = view.LastSequence;
            await Context.WriteAsync(HubPayloads.Marker(Context.Protocol, Delivered), stopping);
        }
        await foreach (var entry in _incoming.Reader.ReadAllAsync(stopping))
        {
            if (entry.Sequence <= Delivered) continue;
            if (entry.Envelope is null || entry.Sequence > Delivered + 1)
            {
                await Write((await _read(Delivered)).Entries);
                continue;
            }
            await Write([entry]);
        }
    }

    private async Task Write(IReadOnlyList<MailboxEntry> entries)
    {
        foreach (var entry in entries)
        {
            if (entry.Sequence <= Delivered) continue;
            // A jump past Delivered + 1 here means the entries between passed the retention; the client sees the jump.
            await Context.WriteAsync(HubPayloads.Frame(Context.Protocol, entry), Context.ConnectionAborted);
            Delivered = entry.Sequence;
        }
    }
}
