using System.Net;
using System.Text.Json;
using SessionGrains.Tests.Http;
using SessionGrains.Tests.Infrastructure;
using Xunit;

namespace SessionGrains.Tests.Admin;

[Collection(StandaloneCollection.Name)]
public sealed class AdminApiTests(StandaloneFrontEnd frontEnd) : IDisposable
{
    private readonly HttpClient _http = frontEnd.CreateClient();
    private SessionApi Api => new(_http);

    [Fact]
    public async Task Every_trusted_endpoint_answers_401_without_or_with_a_wrong_API_key()
    {
        var session = await Api.Create();
        var endpoints = new[]
        {
            "GET /admin/cluster", $"GET /admin/sessions/{session.Id}", $"GET /admin/sessions/{session.Id}/placement",
            "GET /admin/users/someone/sessions", "DELETE /admin/users/someone/sessions",
        };
        foreach (var endpoint in endpoints)
        {
            foreach (var key in new string?[] { null, "wrong", frontEnd.ApiKey + "x", "" })
            {
                using var response = await Admin(endpoint, key);
                await SessionApi.AssertProblem(response, HttpStatusCode.Unauthorized);
            }
            using var trusted = await Admin(endpoint, frontEnd.ApiKey);
            Assert.True(trusted.StatusCode == HttpStatusCode.OK, $"{endpoint} with the key answered {(int)trusted.StatusCode}");
        }
    }

    [Fact]
    public async Task The_cluster_view_counts_session_activations_per_silo()
    {
        await Api.Create();
        using var response = await Admin("GET /admin/cluster", frontEnd.ApiKey);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        var silo = Assert.Single(body.GetProperty("silos").EnumerateArray());
        Assert.Equal("Active", silo.GetProperty("status").GetString());
        Assert.True(silo.GetProperty("sessionActivations").GetInt32() >= 1);
        Assert.Equal(silo.GetProperty("sessionActivations").GetInt32(), body.GetProperty("totalSessionActivations").GetInt32());
    }

    [Fact]
    public async Task A_trusted_caller_reads_any_session_and_its_placement_without_counting_as_access()
    {
        var session = await Api.Create("""{"data":{"cart":[1]}}""");
        var before = (await Api.Get(session.Token)).GetProperty("lastAccessAt").GetDateTimeOffset();
        await Task.Delay(50);

        using var view = await Admin($"GET /admin/sessions/{session.Id}", frontEnd.ApiKey);
        var body = JsonDocument.Parse(await view.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(session.Id, body.GetProperty("id").GetString());
        Assert.Equal(1, body.GetProperty("data").GetProperty("cart")[0].GetInt32());
        Assert.Equal(before, body.GetProperty("lastAccessAt").GetDateTimeOffset());

        using var placement = await Admin($"GET /admin/sessions/{session.Id}/placement", frontEnd.ApiKey);
        Assert.Contains("127.0.0.1", JsonDocument.Parse(await placement.Content.ReadAsStringAsync()).RootElement.GetProperty("silo").GetString());

        using var missing = await Admin("GET /admin/sessions/AAAAAAAAAAAAAAAAAAAAAA", frontEnd.ApiKey);
        await SessionApi.AssertProblem(missing, HttpStatusCode.NotFound);
        using var malformed = await Admin("GET /admin/sessions/not-an-id", frontEnd.ApiKey);
        await SessionApi.AssertProblem(malformed, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task The_user_index_follows_create_rotate_and_delete_and_logout_everywhere_ends_every_session()
    {
        var user = "user-" + Guid.NewGuid().ToString("N");
        var first = await Api.Create($$"""{"userId":"{{user}}"}""", frontEnd.ApiKey);
        var second = await Api.Create($$"""{"userId":"{{user}}"}""", frontEnd.ApiKey);
        var third = await Api.Create($$"""{"userId":"{{user}}"}""", frontEnd.ApiKey);
        await Api.Create();   // not this user's

        using (var rotated = await Api.Send(HttpMethod.Post, "/sessions/current/rotate", second.Token))
        {
            var newId = JsonDocument.Parse(await rotated.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
            using (await Api.Send(HttpMethod.Delete, "/sessions/current", third.Token)) { }
            Assert.Equal(new[] { first.Id, newId }.Order(), (await ListIds(user)).Order());
        }

        using var logout = await Admin($"DELETE /admin/users/{user}/sessions", frontEnd.ApiKey);
        Assert.Equal(2, JsonDocument.Parse(await logout.Content.ReadAsStringAsync()).RootElement.GetProperty("deleted").GetInt32());
        Assert.Empty(await ListIds(user));
        using var gone = await Api.Send(HttpMethod.Get, "/sessions/current", first.Token);
        await SessionApi.AssertProblem(gone, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task An_expired_session_leaves_the_user_index()
    {
        var user = "user-" + Guid.NewGuid().ToString("N");
        var session = await Api.Create($$"""{"userId":"{{user}}","idleTimeoutSeconds":1}""", frontEnd.ApiKey);
        Assert.Equal([session.Id], await ListIds(user));
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while ((await ListIds(user)).Count > 0 && DateTime.UtcNow < deadline) await Task.Delay(250);
        Assert.Empty(await ListIds(user));
    }

    private async Task<List<string>> ListIds(string user)
    {
        using var response = await Admin($"GET /admin/users/{user}/sessions", frontEnd.ApiKey);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.EnumerateArray().Select(s => s.GetProperty("id").GetString()!).ToList();
    }

    private Task<HttpResponseMessage> Admin(string endpoint, string? key)
    {
        var parts = endpoint.Split(' ');
        return Api.Send(new HttpMethod(parts[0]), parts[1], null, configure: r => { if (key is not null) r.Headers.Add("X-Api-Key", key); });
    }

    public void Dispose() => _http.Dispose();
}
