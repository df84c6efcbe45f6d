using System.Collections.Concurrent;
using Microsoft.AspNetCore.SignalR.Client;

namespace SessionGrains.Tests.SignalR;

/// <summary>
/// One side of a failover run: recipients (each in the room, each a session of one of a few users) and senders; sender
/// k numbers its messages k000001, k000002, … and alternates room messages with whispers to a user. A message counts
/// as sent when the hub invocation completed (acknowledged); one whose invocation failed is "unknown": it may arrive,
/// once. Order is checked per sender: two senders' messages interleave in whatever order they were stored.
/// </summary>
public sealed class ChatRun(string side, IReadOnlyList<(ChatClient Client, string User)> recipients, IReadOnlyList<ChatClient> senders, string room, IReadOnlyList<string> users)
{
    private readonly ConcurrentDictionary<long, string?> _acknowledged = new();
    private readonly ConcurrentDictionary<long, bool> _unknown = new();

    public string Side => side;

    public IReadOnlyList<(ChatClient Client, string User)> Recipients => recipients;

    public int Acknowledged => _acknowledged.Count;

    public int Unknown => _unknown.Count;

    private const long PerSender = 1_000_000;

    /// <summary>Sends until <paramref name="until"/> is cancelled, each sender one invocation at a time, riding out its own reconnects.</summary>
    public Task Send(CancellationToken until, TimeSpan pause) => Task.WhenAll(senders.Select((sender, k) => Send(sender, (k + 1) * PerSender, until, pause)));

    private async Task Send(ChatClient sender, long first, CancellationToken until, TimeSpan pause)
    {
        for (var i = 1L; !until.IsCancellationRequested; i++)
        {
            var n = first + i;
            // Every third message is a whisper to one user (both of its sessions), the rest go to the room.
            var user = i % 3 == 0 ? users[(int)(i / 3 % users.Count)] : null;
            try
            {
                await sender.WaitConnected(TimeSpan.FromSeconds(60));
                using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
                if (user is null) await sender.Connection.InvokeAsync("Say", room, n.ToString(), deadline.Token);
                else await sender.Connection.InvokeAsync("Whisper", user, n.ToString(), deadline.Token);
                _acknowledged[n] = user;
            }
            catch (Exception)
            {
                _unknown[n] = true;
            }
            await Task.Delay(pause, CancellationToken.None);
        }
    }

    /// <summary>The acknowledged messages <paramref name="user"/>'s sessions must get, in order.</summary>
    public IReadOnlyList<long> ExpectedBy(string user) => [.. _acknowledged.Where(e => e.Value is null || e.Value == user).Select(e => e.Key).Order()];

    /// <summary>Per recipient: acknowledged messages missing, messages received more than once, and whether arrival order held.</summary>
    public IReadOnlyList<RecipientTally> Tally() =>
        [.. recipients.Select(r =>
        {
            var received = r.Client.Received.Select(m => m.Number).ToList();
            var missing = ExpectedBy(r.User).Except(received).Count();
            var duplicated = received.Count - received.Distinct().Count();
            var inOrder = received.GroupBy(n => n / PerSender).All(g => g.Zip(g.Skip(1)).All(p => p.First < p.Second));
            var strangers = received.Count(n => !_acknowledged.ContainsKey(n) && !_unknown.ContainsKey(n));
            return new RecipientTally(r.Client.Name, received.Count, missing, duplicated, inOrder, strangers);
        })];

    /// <summary>True once every recipient holds every acknowledged message meant for it.</summary>
    public bool Complete() => recipients.All(r => !ExpectedBy(r.User).Except(r.Client.Received.Select(m => m.Number)).Any());
}
