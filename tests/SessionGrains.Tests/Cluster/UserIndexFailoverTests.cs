using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Runtime;
using SessionGrains.Grains;
using SessionGrains.Tests.Infrastructure;
using Xunit;

namespace SessionGrains.Tests.Cluster;

[Collection(ClusterCollection.Name)]
public sealed class UserIndexFailoverTests(LocalCluster cluster)
{
    [Fact]
    public async Task The_user_index_survives_the_loss_of_its_silo_for_listing_and_logout_everywhere()
    {
        using var http1 = cluster.CreateClient(1);
        using var http2 = cluster.CreateClient(2);
        var user = "user-" + Guid.NewGuid().ToString("N");
        var sessions = new List<CreatedSession>();
        for (var i = 0; i < 4; i++) sessions.Add(await new SessionApi(i % 2 == 0 ? http1 : http2).Create($$"""{"userId":"{{user}}"}""", cluster.ApiKey));
        Assert.Equal(sessions.Select(s => s.Id).Order(), (await List(http1, user)).Order());

        var silo = await SiloHoldingIndex(user);
        await cluster.KillSilo(silo);
        try
        {
            Assert.Equal(sessions.Select(s => s.Id).Order(), (await List(http2, user)).Order());

            using var rotated = await new SessionApi(http2).Send(HttpMethod.Post, "/sessions/current/rotate", sessions[0].Token);
            Assert.Equal(HttpStatusCode.OK, rotated.StatusCode);
            var newId = JsonDocument.Parse(await rotated.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
            Assert.Contains(newId, await List(http1, user));
            Assert.DoesNotContain(sessions[0].Id, await List(http1, user));

            using var logout = await Admin(http1, HttpMethod.Delete, $"/admin/users/{user}/sessions");
            Assert.Equal(4, JsonDocument.Parse(await logout.Content.ReadAsStringAsync()).RootElement.GetProperty("deleted").GetInt32());
            Assert.Empty(await List(http2, user));
            foreach (var session in sessions.Skip(1))
            {
                using var gone = await new SessionApi(http1).Send(HttpMethod.Get, "/sessions/current", session.Token);
                Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
            }
        }
        finally
        {
            await cluster.StartSilo(silo);
        }
    }

    private async Task<int> SiloHoldingIndex(string user)
    {
        using var client = await cluster.ConnectClient();
        var management = client.Services.GetRequiredService<IGrainFactory>().GetGrain<IManagementGrain>(0);
        var activations = await management.GetDetailedGrainStatistics([GrainTypes.Of<UserSessionsGrain>()]);
        var index = Assert.Single(activations, a => a.GrainId.Key.ToString() == user);
        var silo = cluster.SiloNumberOf(index.SiloAddress.ToParsableString());
        await client.StopAsync();
        return silo;
    }

    private async Task<List<string>> List(HttpClient http, string user)
    {
        // Right after a silo dies, calls may wait for the cluster to declare it dead: retry within a deadline.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            using var response = await Admin(http, HttpMethod.Get, $"/admin/users/{user}/sessions");
            if (response.StatusCode == HttpStatusCode.OK)
                return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.EnumerateArray().Select(s => s.GetProperty("id").GetString()!).ToList();
            Assert.True(DateTime.UtcNow < deadline, $"listing answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
            await Task.Delay(500);
        }
    }

    private Task<HttpResponseMessage> Admin(HttpClient http, HttpMethod method, string path)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Add("X-Api-Key", cluster.ApiKey);
        return http.SendAsync(request);
    }
}
