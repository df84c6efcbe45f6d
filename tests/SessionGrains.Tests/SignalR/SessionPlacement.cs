using System.Net;
using System.Text.Json;
using SessionGrains.Tests.Infrastructure;
using Xunit;

namespace SessionGrains.Tests.SignalR;

/// <summary>Which silo process of a local cluster holds a session now (<c>GET /sessions/current/placement</c>).</summary>
public static class SessionPlacement
{
    public static async Task<int> SiloOf(LocalCluster cluster, HttpClient http, string token)
    {
        using var placement = await new SessionApi(http).Send(HttpMethod.Get, "/sessions/current/placement", token);
        Assert.Equal(HttpStatusCode.OK, placement.StatusCode);
        return cluster.SiloNumberOf(JsonDocument.Parse(await placement.Content.ReadAsStringAsync()).RootElement.GetProperty("silo").GetString()!);
    }
}
