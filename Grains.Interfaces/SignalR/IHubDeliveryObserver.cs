using Orleans.Concurrency;

namespace SessionGrains.Interfaces.SignalR;

/// <summary>A front end holding live hub connections: one observer per front end, shared by every mailbox it holds.</summary>
public interface IHubDeliveryObserver : IGrainObserver
{
    /// <summary>
    /// New entries of mailbox <paramref name="mailbox"/>, stored before this push. One-way: a slow front end never slows
    /// the mailbox; a push that is lost shows up as a gap in the sequence, which the front end fills by reading.
    /// </summary>
    [OneWay]
    Task Deliver(string mailbox, IReadOnlyList<MailboxEntry> entries);
}
