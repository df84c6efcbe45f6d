using Microsoft.AspNetCore.SignalR;

namespace SessionGrains.Bench.RedisBackplane;

/// <summary>The user a benchmark client claims in query <c>user</c>: a stand-in for authentication, on loopback only.</summary>
public sealed class QueryUserIds : IUserIdProvider
{
    public string? GetUserId(HubConnectionContext connection) => connection.GetHttpContext()?.Request.Query["user"];
}
