using System.Collections.Concurrent;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;
using SessionGrains.Interfaces;
using SessionGrains.Interfaces.SignalR;

namespace SessionGrains.SignalR;

/// <summary>
/// The hub lifetime manager on grains. A send is stored in every recipient's mailbox before its task completes
/// (the "acknowledged" point); the mailboxes then push to whichever servers hold their recipients' connections.
/// Groups and users are persisted sets of mailboxes, "all" is the set of every mailbox that has connected.
/// Connection ids address the recipient (session) that opened the connection.
/// </summary>
public sealed partial class SessionGrainsHubLifetime<THub> : HubLifetimeManager<THub> where THub : Hub
{
    /// <summary>Grain keys start with the hub's name: two hubs of one app never share groups or mailboxes.</summary>
    private static readonly string HubName = typeof(THub).Name;

    private readonly ConcurrentDictionary<string, LiveConnection> _connections = new(StringComparer.Ordinal);
    private readonly IGrainFactory _grains;
    private readonly HubDelivery _delivery;
    private readonly HubPayloads _payloads;
    private readonly HubRecipients _recipients;
    private readonly HubCalls _calls;
    private readonly SessionGrainsHubOptions _options;

    public SessionGrainsHubLifetime(IGrainFactory grains, HubDelivery delivery, HubPayloads payloads, HubRecipients recipients, HubCalls calls,
        IOptions<SessionGrainsHubOptions> options)
    {
        _grains = grains;
        _delivery = delivery;
        _payloads = payloads;
        _recipients = recipients;
        _calls = calls;
        _options = options.Value;
    }

    public override async Task OnConnectedAsync(HubConnectionContext connection)
    {
        var mailbox = HubKeys.Mailbox(HubName, _recipients.RecipientOf(connection));
        var live = new LiveConnection(connection, mailbox, HubKeys.Connection(HubName, connection.ConnectionId),
            after => _calls.Run(() => Mailbox(mailbox).Read(after), connection.ConnectionAborted));
        _connections[connection.ConnectionId] = live;
        var aborted = connection.ConnectionAborted;
        var joins = new List<Task>
        {
            _calls.Run(() => Group(HubKeys.All(HubName)).Add(mailbox), aborted),
            _calls.Run(() => _grains.Reference<IHubConnectionGrain>(live.ConnectionKey).Set(mailbox), aborted),
            _delivery.Open(live, HubRecipients.ResumePointOf(connection)),
        };
        if (connection.UserIdentifier is { } user) joins.Add(_calls.Run(() => Group(HubKeys.User(HubName, user)).Add(mailbox), aborted));
        try
        {
            await Task.WhenAll(joins);
        }
        catch
        {
            Forget(connection.ConnectionId);
            throw;
        }
    }

    public override Task OnDisconnectedAsync(HubConnectionContext connection)
    {
        Forget(connection.ConnectionId);
        return Task.CompletedTask;
    }

    public override Task SendAllAsync(string methodName, object?[] args, CancellationToken cancellationToken = default) =>
        SendToSets([HubKeys.All(HubName)], methodName, args, [], cancellationToken);

    public override async Task SendAllExceptAsync(string methodName, object?[] args, IReadOnlyList<string> excludedConnectionIds, CancellationToken cancellationToken = default) =>
        await SendToSets([HubKeys.All(HubName)], methodName, args, await MailboxesOf(excludedConnectionIds, cancellationToken), cancellationToken);

    public override Task SendConnectionAsync(string connectionId, string methodName, object?[] args, CancellationToken cancellationToken = default) =>
        SendConnectionsAsync([connectionId], methodName, args, cancellationToken);

    public override async Task SendConnectionsAsync(IReadOnlyList<string> connectionIds, string methodName, object?[] args, CancellationToken cancellationToken = default)
    {
        var envelope = _payloads.Envelope(methodName, args);
        var mailboxes = await MailboxesOf(connectionIds, cancellationToken);
        await Task.WhenAll(mailboxes.Select(m => _calls.Run(() => Mailbox(m).Append(envelope, _options.Retention), cancellationToken)));
    }

    public override Task SendGroupAsync(string groupName, string methodName, object?[] args, CancellationToken cancellationToken = default) =>
        SendToSets([HubKeys.Group(HubName, groupName)], methodName, args, [], cancellationToken);

    public override Task SendGroupsAsync(IReadOnlyList<string> groupNames, string methodName, object?[] args, CancellationToken cancellationToken = default) =>
        SendToSets([.. groupNames.Select(g => HubKeys.Group(HubName, g))], methodName, args, [], cancellationToken);

    public override async Task SendGroupExceptAsync(string groupName, string methodName, object?[] args, IReadOnlyList<string> excludedConnectionIds, CancellationToken cancellationToken = default) =>
        await SendToSets([HubKeys.Group(HubName, groupName)], methodName, args, await MailboxesOf(excludedConnectionIds, cancellationToken), cancellationToken);

    public override Task SendUserAsync(string userId, string methodName, object?[] args, CancellationToken cancellationToken = default) =>
        SendToSets([HubKeys.User(HubName, userId)], methodName, args, [], cancellationToken);

    public override Task SendUsersAsync(IReadOnlyList<string> userIds, string methodName, object?[] args, CancellationToken cancellationToken = default) =>
        SendToSets([.. userIds.Select(u => HubKeys.User(HubName, u))], methodName, args, [], cancellationToken);

    public override async Task AddToGroupAsync(string connectionId, string groupName, CancellationToken cancellationToken = default)
    {
        var mailbox = await MailboxOf(connectionId, cancellationToken) ?? throw new InvalidOperationException($"Connection {connectionId} is not connected to hub {HubName}.");
        await _calls.Run(() => Group(HubKeys.Group(HubName, groupName)).Add(mailbox), cancellationToken);
    }

    public override async Task RemoveFromGroupAsync(string connectionId, string groupName, CancellationToken cancellationToken = default)
    {
        if (await MailboxOf(connectionId, cancellationToken) is not { } mailbox) return;
        await _calls.Run(() => Group(HubKeys.Group(HubName, groupName)).Remove(mailbox), cancellationToken);
    }

    /// <summary>
    /// One envelope for every set: a recipient in several of the sets gets the message once, since its mailbox drops an
    /// id it already holds.
    /// </summary>
    private async Task SendToSets(IReadOnlyList<string> sets, string methodName, object?[] args, IReadOnlyList<string> except, CancellationToken cancellationToken)
    {
        var envelope = _payloads.Envelope(methodName, args);
        await Task.WhenAll(sets.Select(set => _calls.Run(() => Group(set).Send(envelope, except, _options.Retention), cancellationToken)));
    }

    private async Task<IReadOnlyList<string>> MailboxesOf(IReadOnlyList<string> connectionIds, CancellationToken cancellationToken)
    {
        if (connectionIds.Count == 0) return [];
        var mailboxes = await Task.WhenAll(connectionIds.Select(id => MailboxOf(id, cancellationToken)));
        return [.. mailboxes.OfType<string>().Distinct(StringComparer.Ordinal)];
    }

    /// <summary>The mailbox of a connection of this server, or else as the server holding it registered it.</summary>
    private async Task<string?> MailboxOf(string connectionId, CancellationToken cancellationToken) =>
        _connections.TryGetValue(connectionId, out var live)
            ? live.Mailbox
            : await _calls.Run(() => _grains.Reference<IHubConnectionGrain>(HubKeys.Connection(HubName, connectionId)).Get(), cancellationToken);

    private void Forget(string connectionId)
    {
        if (!_connections.TryRemove(connectionId, out var live)) return;
        _delivery.Close(live);
        _ = ClearConnection(live.ConnectionKey);
    }

    private async Task ClearConnection(string key)
    {
        try
        {
            await _grains.Reference<IHubConnectionGrain>(key).Clear();
        }
        catch (Exception)
        {
            // In memory only: a lost clear leaves an entry that dies with its activation.
        }
    }

    private IHubMailboxGrain Mailbox(string key) => _grains.Reference<IHubMailboxGrain>(key);

    private IHubGroupGrain Group(string key) => _grains.Reference<IHubGroupGrain>(key);
}
