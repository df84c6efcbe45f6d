using SessionGrains.SignalR;

namespace SessionGrains.Client.Chat;

/// <summary>The example chat's services and endpoints: SignalR on grains for <see cref="ChatHub"/> only.</summary>
public static class ChatWiring
{
    public static void AddChat(this WebApplicationBuilder builder) =>
        builder.Services.AddSignalR().AddSessionGrains<ChatHub>();

    public static void MapChat(this WebApplication app)
    {
        app.UseWhen(context => context.Request.Path.StartsWithSegments(ChatHub.Path), branch => branch.Use(ChatSessionUser.Admit));
        app.MapHub<ChatHub>(ChatHub.Path);
    }
}
