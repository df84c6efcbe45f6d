using System.Net;
using System.Text.Json;
using SessionGrains.Tests.Infrastructure;
using Xunit;

namespace SessionGrains.Tests.Http;

[Collection(StandaloneCollection.Name)]
public sealed class SessionLifecycleTests(StandaloneFrontEnd frontEnd) : IDisposable
{
    private readonly HttpClient _http = frontEnd.CreateClient();
    private SessionApi Api => new(_http);

    [Fact]
    public async Task Creating_a_session_answers_201_with_a_signed_token_an_HttpOnly_cookie_and_the_location()
    {
        using var response = await _http.PostAsync("/sessions", SessionApi.Json("""{"data":{"cart":[1,2]},"idleTimeoutSeconds":600}"""));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("/sessions/current", response.Headers.Location?.OriginalString);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        var id = body.GetProperty("id").GetString()!;
        Assert.Equal(22, id.Length);
        Assert.StartsWith(id + ".", body.GetProperty("token").GetString());
        Assert.Equal(1, body.GetProperty("version").GetInt64());
        var lifetime = body.GetProperty("expiresAt").GetDateTimeOffset() - body.GetProperty("createdAt").GetDateTimeOffset();
        Assert.InRange(lifetime.TotalSeconds, 599, 601);

        var cookie = Assert.Single(response.Headers.GetValues("Set-Cookie"));
        Assert.StartsWith("sid=" + body.GetProperty("token").GetString(), cookie);
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=lax", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("path=/", cookie, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task The_session_cookie_alone_authenticates_a_browser()
    {
        var session = await Api.Create("""{"data":{"theme":"dark"}}""");
        using var request = new HttpRequestMessage(HttpMethod.Get, "/sessions/current");
        request.Headers.Add("Cookie", "sid=" + session.Token);
        using var response = await _http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("dark", body.GetProperty("data").GetProperty("theme").GetString());
    }

    [Fact]
    public async Task Getting_the_session_returns_metadata_data_and_the_version_as_ETag()
    {
        var session = await Api.Create("""{"data":{"name":"ada","n":1}}""");
        using var response = await Api.Send(HttpMethod.Get, "/sessions/current", session.Token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("\"1\"", response.Headers.ETag?.Tag);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(session.Id, body.GetProperty("id").GetString());
        Assert.Equal(JsonValueKind.Null, body.GetProperty("userId").ValueKind);
        Assert.Equal("ada", body.GetProperty("data").GetProperty("name").GetString());
        Assert.Equal(1, body.GetProperty("data").GetProperty("n").GetInt32());
        Assert.True(body.GetProperty("lastAccessAt").GetDateTimeOffset() >= body.GetProperty("createdAt").GetDateTimeOffset());
    }

    [Fact]
    public async Task Deleting_the_session_answers_204_and_the_token_is_dead_afterwards()
    {
        var session = await Api.Create();
        using (var deleted = await Api.Send(HttpMethod.Delete, "/sessions/current", session.Token))
        {
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }
        using var after = await Api.Send(HttpMethod.Get, "/sessions/current", session.Token);
        await SessionApi.AssertProblem(after, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Rotating_keeps_the_data_under_a_new_id_and_the_old_token_answers_404()
    {
        var session = await Api.Create("""{"data":{"cart":["book"]}}""");
        using var rotated = await Api.Send(HttpMethod.Post, "/sessions/current/rotate", session.Token);
        Assert.Equal(HttpStatusCode.OK, rotated.StatusCode);
        var body = JsonDocument.Parse(await rotated.Content.ReadAsStringAsync()).RootElement;
        var newToken = body.GetProperty("token").GetString()!;
        Assert.NotEqual(session.Id, body.GetProperty("id").GetString());
        Assert.Contains("sid=" + newToken, Assert.Single(rotated.Headers.GetValues("Set-Cookie")));

        var moved = await Api.Get(newToken);
        Assert.Equal("book", moved.GetProperty("data").GetProperty("cart")[0].GetString());
        using var old = await Api.Send(HttpMethod.Get, "/sessions/current", session.Token);
        await SessionApi.AssertProblem(old, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_rotate_replayed_with_the_old_token_and_its_key_gets_no_token()
    {
        var session = await Api.Create("""{"data":{"a":1}}""");
        Task<HttpResponseMessage> RotateOnce() => Api.Send(HttpMethod.Post, "/sessions/current/rotate", session.Token,
            configure: r => r.Headers.Add("Idempotency-Key", "rotate-1"));

        using var first = await RotateOnce();
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        using var replay = await RotateOnce();

        await SessionApi.AssertProblem(replay, HttpStatusCode.NotFound);
        Assert.False(replay.Headers.Contains("Set-Cookie"));
        Assert.DoesNotContain("token", await replay.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task An_idle_session_expires_after_its_idle_timeout_and_answers_404()
    {
        var session = await Api.Create("""{"idleTimeoutSeconds":1}""");
        await Api.Get(session.Token);
        await Task.Delay(TimeSpan.FromMilliseconds(1600));
        using var response = await Api.Send(HttpMethod.Get, "/sessions/current", session.Token);
        await SessionApi.AssertProblem(response, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Every_request_slides_the_idle_timeout()
    {
        var session = await Api.Create("""{"idleTimeoutSeconds":2}""");
        var until = DateTime.UtcNow.AddSeconds(4);
        while (DateTime.UtcNow < until)
        {
            await Api.Get(session.Token);
            await Task.Delay(TimeSpan.FromMilliseconds(500));
        }
        await Api.Get(session.Token);
    }

    [Fact]
    public async Task A_trusted_caller_may_set_the_user_id_and_others_may_not()
    {
        var owned = await Api.Create("""{"userId":"user-42"}""", apiKey: frontEnd.ApiKey);
        Assert.Equal("user-42", (await Api.Get(owned.Token)).GetProperty("userId").GetString());

        using var refused = await _http.PostAsync("/sessions", SessionApi.Json("""{"userId":"user-42"}"""));
        await SessionApi.AssertProblem(refused, HttpStatusCode.Forbidden);
        using var wrongKey = await Api.Send(HttpMethod.Post, "/sessions", null, SessionApi.Json("""{"userId":"user-42"}"""),
            r => r.Headers.Add("X-Api-Key", "not-the-key"));
        await SessionApi.AssertProblem(wrongKey, HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task Placement_names_the_silo_that_hosts_the_session()
    {
        var session = await Api.Create();
        using var response = await Api.Send(HttpMethod.Get, "/sessions/current/placement", session.Token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Contains("127.0.0.1", body.GetProperty("silo").GetString());
        Assert.True(body.GetProperty("activatedAt").GetDateTimeOffset() <= DateTimeOffset.UtcNow);
    }

    [Fact]
    public async Task Health_readiness_and_the_OpenAPI_document_are_served()
    {
        using (var alive = await _http.GetAsync("/healthz")) Assert.Equal(HttpStatusCode.OK, alive.StatusCode);
        using (var ready = await _http.GetAsync("/readyz")) Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        using var openApi = await _http.GetAsync("/openapi/v1.json");
        Assert.Equal(HttpStatusCode.OK, openApi.StatusCode);
        var paths = JsonDocument.Parse(await openApi.Content.ReadAsStringAsync()).RootElement.GetProperty("paths");
        foreach (var path in new[] { "/sessions", "/sessions/current", "/sessions/current/data/{key}", "/sessions/current/data", "/sessions/current/counters/{key}/increment", "/sessions/current/rotate", "/sessions/current/placement" })
        {
            Assert.True(paths.TryGetProperty(path, out _), $"OpenAPI document lacks {path}");
        }
    }

    public void Dispose() => _http.Dispose();
}
