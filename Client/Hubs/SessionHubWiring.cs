using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;
using SessionGrains.Client.Sockets;

namespace SessionGrains.Client.Hubs;

/// <summary>The session hub in the front end: SignalR with its JSON protocol, WebSockets only, behind <see cref="SessionHubGate"/>.</summary>
public static class SessionHubWiring
{
    public static IServiceCollection AddSessionHub(this IServiceCollection services)
    {
        services.AddSignalR();
        // Clients send nothing but the handshake and pings; the raw WebSocket's limit on client messages applies.
        services.AddOptions<HubOptions<SessionHub>>().Configure<IOptions<SessionSocketOptions>>((hub, sockets) => hub.MaximumReceiveMessageSize = sockets.Value.MaxReceiveBytes);
        return services;
    }

    /// <summary>The gate; after <c>UseWebSockets</c>, before the endpoints run.</summary>
    public static IApplicationBuilder UseSessionHubGate(this IApplicationBuilder app) => app.UseMiddleware<SessionHubGate>();

    /// <summary>
    /// Maps <c>/hubs/session</c>. Only the WebSocket transport: long polling and server-sent events spread one
    /// connection over many requests, which would need sticky load balancing and would hold a socket place per poll.
    /// </summary>
    public static IEndpointRouteBuilder MapSessionHub(this IEndpointRouteBuilder routes)
    {
        routes.MapHub<SessionHub>(SessionHub.Path, options => options.Transports = HttpTransportType.WebSockets);
        return routes;
    }
}
