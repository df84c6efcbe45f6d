using Microsoft.AspNetCore.SignalR;

namespace SessionGrains.Bench.RedisBackplane;

/// <summary>The example chat's room methods (Client/Chat/ChatHub.cs) with the same message shape, on the Redis backplane.</summary>
public sealed class RoomHub : Hub
{
    public Task Join(string room) => Groups.AddToGroupAsync(Context.ConnectionId, room);

    public Task Say(string room, string text) => Clients.Group(room).SendAsync("said", room, Context.ConnectionId, text);

    public Task Whisper(string user, string text) => Clients.User(user).SendAsync("whispered", Context.ConnectionId, text);
}
