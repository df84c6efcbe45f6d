using Microsoft.AspNetCore.SignalR;
using SessionGrains.Bench.RedisBackplane;

// Usage: dotnet SessionGrains.Bench.RedisBackplane.dll --urls=http://127.0.0.1:PORT --Redis=127.0.0.1:6379
var builder = WebApplication.CreateBuilder(args);
var redis = builder.Configuration["Redis"] ?? throw new InvalidOperationException("--Redis=host:port is required.");
builder.Services.AddSingleton<IUserIdProvider, QueryUserIds>();
builder.Services.AddSignalR().AddStackExchangeRedis(redis, options => options.Configuration.ChannelPrefix = StackExchange.Redis.RedisChannel.Literal("redis-backplane-bench"));
var app = builder.Build();
app.MapGet("/healthz", () => "ok");
app.MapHub<RoomHub>("/hubs/chat");
app.Run();
