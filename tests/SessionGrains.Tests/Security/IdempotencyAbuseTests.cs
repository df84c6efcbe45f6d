using System.Net;
using System.Text.Json;
using SessionGrains.Tests.Http;
using SessionGrains.Tests.Infrastructure;
using Xunit;

namespace SessionGrains.Tests.Security;

/// <summary>
/// Idempotency keys as an attacker would use them, over HTTP: a key answers only the request it first answered, a
/// rotated-away id never hands out a token, and nothing a session holder sends keeps a session alive through a
/// trusted log-out.
/// </summary>
[Collection(StandaloneCollection.Name)]
public sealed class IdempotencyAbuseTests(StandaloneFrontEnd frontEnd) : IDisposable
{
    private readonly HttpClient _http = frontEnd.CreateClient();
    private SessionApi Api => new(_http);

    [Fact]
    public async Task A_key_used_by_a_put_answers_422_to_an_increment_and_changes_nothing()
    {
        var session = await Api.Create("""{"data":{"n":5}}""");
        using (var put = await Keyed(HttpMethod.Put, "/sessions/current/data/n", session.Token, "k-1", SessionApi.Json("7")))
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);

        using var increment = await Keyed(HttpMethod.Post, "/sessions/current/counters/n/increment", session.Token, "k-1");
        var problem = await SessionApi.AssertProblem(increment, (HttpStatusCode)422);
        Assert.Equal("urn:session-grains:problem:idempotency-key-reused", problem.GetProperty("type").GetString());

        var after = await Api.Get(session.Token);
        Assert.Equal(7, after.GetProperty("data").GetProperty("n").GetInt64());
        Assert.Equal(2, after.GetProperty("version").GetInt64());
    }

    [Fact]
    public async Task A_delete_under_a_key_used_by_a_put_answers_422_and_the_session_lives()
    {
        var session = await Api.Create();
        using (var put = await Keyed(HttpMethod.Put, "/sessions/current/data/a", session.Token, "k-2", SessionApi.Json("1")))
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);

        using var delete = await Keyed(HttpMethod.Delete, "/sessions/current", session.Token, "k-2");
        await SessionApi.AssertProblem(delete, (HttpStatusCode)422);
        Assert.False(delete.Headers.Contains("Set-Cookie"));
        Assert.Equal(2, (await Api.Get(session.Token)).GetProperty("version").GetInt64());
    }

    [Fact]
    public async Task Replaying_a_rotation_with_the_old_token_answers_404_and_hands_out_no_token()
    {
        var session = await Api.Create();
        using (var rotated = await Keyed(HttpMethod.Post, "/sessions/current/rotate", session.Token, "rotate-1"))
            Assert.Equal(HttpStatusCode.OK, rotated.StatusCode);

        using var replay = await Keyed(HttpMethod.Post, "/sessions/current/rotate", session.Token, "rotate-1");
        var problem = await SessionApi.AssertProblem(replay, HttpStatusCode.NotFound);
        Assert.False(problem.TryGetProperty("token", out _));
        Assert.False(replay.Headers.Contains("Set-Cookie"));
        Assert.DoesNotMatch(@"[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}", problem.GetRawText());
    }

    [Fact]
    public async Task A_holder_writing_under_the_key_logout_everywhere_is_still_logged_out_by_a_trusted_caller()
    {
        var user = "user-" + Guid.NewGuid().ToString("N");
        var session = await Api.Create($$"""{"userId":"{{user}}"}""", frontEnd.ApiKey);
        foreach (var key in new[] { "logout-everywhere", "evict", "delete" })
        {
            using var put = await Keyed(HttpMethod.Put, "/sessions/current/data/a", session.Token, key, SessionApi.Json("1"));
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }

        using var logout = await Admin(HttpMethod.Delete, $"/admin/users/{user}/sessions");
        Assert.Equal(HttpStatusCode.OK, logout.StatusCode);
        Assert.Equal(1, JsonDocument.Parse(await logout.Content.ReadAsStringAsync()).RootElement.GetProperty("deleted").GetInt32());
        using var gone = await Api.Send(HttpMethod.Get, "/sessions/current", session.Token);
        await SessionApi.AssertProblem(gone, HttpStatusCode.NotFound);
    }

    private Task<HttpResponseMessage> Keyed(HttpMethod method, string path, string token, string key, HttpContent? content = null) =>
        Api.Send(method, path, token, content, r => r.Headers.Add("Idempotency-Key", key));

    private Task<HttpResponseMessage> Admin(HttpMethod method, string path) =>
        Api.Send(method, path, null, configure: r => r.Headers.Add("X-Api-Key", frontEnd.ApiKey));

    public void Dispose() => _http.Dispose();
}

/// <summary>A session over its request rate is still a live session to its user's index: listed, then logged out.</summary>
public sealed class RateLimitedUserIndexTests(SlowSessionFrontEnd frontEnd) : IClassFixture<SlowSessionFrontEnd>
{
    [Fact]
    public async Task A_rate_limited_session_stays_in_its_users_index_until_it_is_deleted()
    {
        using var http = frontEnd.CreateClient();
        var api = new SessionApi(http);
        var user = "user-" + Guid.NewGuid().ToString("N");
        var session = await api.Create($$"""{"userId":"{{user}}"}""", frontEnd.ApiKey);

        // Reads in parallel bursts: they drain the session's bucket however slow a single request is on a busy machine.
        var limited = false;
        for (var burst = 0; burst < 10 && !limited; burst++)
        {
            var statuses = await Task.WhenAll(Enumerable.Range(0, 40).Select(async _ =>
            {
                using var response = await api.Send(HttpMethod.Get, "/sessions/current", session.Token);
                return response.StatusCode;
            }));
            limited = statuses.Contains(HttpStatusCode.TooManyRequests);
        }
        Assert.True(limited, "the session never reached its rate limit");

        // Listing while the session is throttled: the index asks without taking a token, and keeps the entry.
        using (var listed = await Admin(api, HttpMethod.Get, $"/admin/users/{user}/sessions"))
        {
            var sessions = JsonDocument.Parse(await listed.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal(session.Id, Assert.Single(sessions.EnumerateArray()).GetProperty("id").GetString());
        }
        using (var logout = await Admin(api, HttpMethod.Delete, $"/admin/users/{user}/sessions"))
        {
            Assert.Equal(1, JsonDocument.Parse(await logout.Content.ReadAsStringAsync()).RootElement.GetProperty("deleted").GetInt32());
        }
        await Task.Delay(TimeSpan.FromSeconds(1.2));   // the bucket refills: the answer below is about the session, not its rate
        using var gone = await api.Send(HttpMethod.Get, "/sessions/current", session.Token);
        await SessionApi.AssertProblem(gone, HttpStatusCode.NotFound);
        using var empty = await Admin(api, HttpMethod.Get, $"/admin/users/{user}/sessions");
        Assert.Equal("[]", await empty.Content.ReadAsStringAsync());
    }

    private Task<HttpResponseMessage> Admin(SessionApi api, HttpMethod method, string path) =>
        api.Send(method, path, null, configure: r => r.Headers.Add("X-Api-Key", frontEnd.ApiKey));
}
