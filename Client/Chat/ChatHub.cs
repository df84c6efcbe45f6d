using Microsoft.AspNetCore.SignalR;

namespace SessionGrains.Client.Chat;

/// <summary>
/// The example chat: rooms are SignalR groups, whispers go to a user, announcements to everyone. An ordinary hub: what
/// makes it survive server failures without sticky sessions is the lifetime manager (<c>AddSessionGrains</c>).
/// Each method returns once the message is stored for every recipient, so the caller knows it will be delivered.
/// </summary>
public sealed class ChatHub : Hub
{
    public const string Path = "/hubs/chat";

    public Task Join(string room) => Groups.AddToGroupAsync(Context.ConnectionId, room);

    public Task Leave(string room) => Groups.RemoveFromGroupAsync(Context.ConnectionId, room);

    public Task Say(string room, string text) => Clients.Group(room).SendAsync("said", room, Speaker, text);

    public Task Whisper(string user, string text) => Clients.User(user).SendAsync("whispered", Speaker, text);

    public Task Announce(string text) => Clients.All.SendAsync("announced", Speaker, text);

    /// <summary>The session's user, or for an anonymous session the start of its id (enough to tell speakers apart).</summary>
    private string Speaker => Context.UserIdentifier ?? "guest-" + (Context.GetHttpContext()?.Items[ChatSessionUser.SessionItem] as string ?? "------")[..6];
}
