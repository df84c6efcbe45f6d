using System.Net;
using System.Text;
using System.Text.Json;
using SessionGrains.Tests.Infrastructure;
using Xunit;

namespace SessionGrains.Tests.Http;

/// <summary>Every limit and bad input of the API contract: its documented 4xx, a problem detail, and no change.</summary>
[Collection(StandaloneCollection.Name)]
public sealed class BadInputTests(StandaloneFrontEnd frontEnd) : IDisposable
{
    private static readonly string ValueOver64KiB = JsonSerializer.Serialize(new string('x', 64 * 1024));
    private readonly HttpClient _http = frontEnd.CreateClient();
    private SessionApi Api => new(_http);

    public static TheoryData<string, string, string?, string, string?, HttpStatusCode> Requests => new()
    {
        // method, path, body, media type, extra header "Name: value", expected status
        { "PUT", "/sessions/current/data/bad%20key", "1", "application/json", null, HttpStatusCode.BadRequest },
        { "PUT", "/sessions/current/data/" + new string('k', 129), "1", "application/json", null, HttpStatusCode.BadRequest },
        { "PUT", "/sessions/current/data/a", ValueOver64KiB, "application/json", null, HttpStatusCode.RequestEntityTooLarge },
        { "PUT", "/sessions/current/data/a", "{\"unclosed\":", "application/json", null, HttpStatusCode.BadRequest },
        { "PUT", "/sessions/current/data/a", "", "application/json", null, HttpStatusCode.BadRequest },
        { "PUT", "/sessions/current/data/a", "2", "text/plain", null, HttpStatusCode.UnsupportedMediaType },
        { "PUT", "/sessions/current/data/a", "2", "application/json", "If-Match: not-an-etag", HttpStatusCode.BadRequest },
        { "PUT", "/sessions/current/data/a", "2", "application/json", "Idempotency-Key: " + new string('i', 65), HttpStatusCode.BadRequest },
        { "PUT", "/sessions/current/data/a", "2", "application/json", "Idempotency-Key: fl:reserved", HttpStatusCode.BadRequest },
        { "PATCH", "/sessions/current/data", "[1,2]", "application/json", null, HttpStatusCode.BadRequest },
        { "PATCH", "/sessions/current/data", "{\"a\":2,\"bad key\":1}", "application/json", null, HttpStatusCode.BadRequest },
        { "PATCH", "/sessions/current/data", "{\"a\":2,\"b\":" + ValueOver64KiB + "}", "application/json", null, HttpStatusCode.RequestEntityTooLarge },
        { "PATCH", "/sessions/current/data", "{\"a\":2}", "application/xml", null, HttpStatusCode.UnsupportedMediaType },
        { "PATCH", "/sessions/current/data", "{\"a\":2,\"a\":3}", "application/json", null, HttpStatusCode.BadRequest },
        { "PUT", "/sessions/current/data/a", "{\"x\":1,\"x\":2}", "application/json", null, HttpStatusCode.BadRequest },
        { "GET", "/sessions/current/data/bad%20key", null, "application/json", null, HttpStatusCode.BadRequest },
        { "DELETE", "/sessions/current/data/bad%20key", null, "application/json", null, HttpStatusCode.BadRequest },
        { "POST", "/sessions/current/counters/a/increment?by=abc", null, "application/json", null, HttpStatusCode.BadRequest },
        { "POST", "/sessions/current/counters/a/increment?by=1.5", null, "application/json", null, HttpStatusCode.BadRequest },
        { "POST", "/sessions/current/counters/no%20good/increment", null, "application/json", null, HttpStatusCode.BadRequest },
        { "DELETE", "/sessions/current/data/a", null, "application/json", "If-Match: \"7\"", HttpStatusCode.PreconditionFailed },
    };

    [Theory]
    [MemberData(nameof(Requests))]
    public async Task A_bad_request_gets_its_documented_status_as_a_problem_detail_and_changes_nothing(
        string method, string path, string? body, string mediaType, string? header, HttpStatusCode expected)
    {
        var session = await Api.Create("""{"data":{"a":1}}""");
        var content = body is null ? null : new StringContent(body, Encoding.UTF8, mediaType);
        using var response = await Api.Send(new HttpMethod(method), path, session.Token, content, request =>
        {
            if (header is null) return;
            var parts = header.Split(": ", 2);
            request.Headers.TryAddWithoutValidation(parts[0], parts[1]);
        });
        await SessionApi.AssertProblem(response, expected);
        await AssertUnchanged(session);
    }

    [Fact]
    public async Task A_write_that_would_make_the_session_larger_than_1_MiB_answers_413_and_changes_nothing()
    {
        var data = string.Join(",", Enumerable.Range(0, 17).Select(i => $"\"k{i}\":\"{new string('v', 60_000)}\""));
        var session = await Api.Create("{\"data\":{" + data + "}}");
        using var response = await Api.Send(HttpMethod.Put, "/sessions/current/data/one-more", session.Token,
            SessionApi.Json(JsonSerializer.Serialize(new string('w', 60_000))));
        var problem = await SessionApi.AssertProblem(response, HttpStatusCode.RequestEntityTooLarge);
        Assert.EndsWith("session-too-large", problem.GetProperty("type").GetString());
        var after = await Api.Get(session.Token);
        Assert.Equal(1, after.GetProperty("version").GetInt64());
        Assert.False(after.GetProperty("data").TryGetProperty("one-more", out _));
    }

    [Fact]
    public async Task Adding_a_key_beyond_1000_answers_422_and_changes_nothing()
    {
        var data = string.Join(",", Enumerable.Range(0, 1000).Select(i => $"\"k{i}\":{i}"));
        var session = await Api.Create("{\"data\":{" + data + "}}");
        using var response = await Api.Send(HttpMethod.Put, "/sessions/current/data/k1000", session.Token, SessionApi.Json("1"));
        await SessionApi.AssertProblem(response, (HttpStatusCode)422);
        using var replace = await Api.Send(HttpMethod.Put, "/sessions/current/data/k999", session.Token, SessionApi.Json("\"replaced\""));
        Assert.Equal(HttpStatusCode.OK, replace.StatusCode);
        var after = await Api.Get(session.Token);
        Assert.Equal(1000, after.GetProperty("data").EnumerateObject().Count());
    }

    [Fact]
    public async Task A_body_larger_than_the_request_limit_answers_413()
    {
        var session = await Api.Create("""{"data":{"a":1}}""");
        // Expect: 100-continue lets the server refuse on Content-Length alone, as a well-behaved client would.
        using var response = await Api.Send(HttpMethod.Patch, "/sessions/current/data", session.Token,
            SessionApi.Json("{\"big\":\"" + new string('z', 1_200_000) + "\"}"), r => r.Headers.ExpectContinue = true);
        await SessionApi.AssertProblem(response, HttpStatusCode.RequestEntityTooLarge);
        await AssertUnchanged(session);
    }

    [Theory]
    [InlineData("""{"idleTimeoutSeconds":0}""", "application/json", HttpStatusCode.BadRequest)]
    [InlineData("""{"idleTimeoutSeconds":604801}""", "application/json", HttpStatusCode.BadRequest)]
    [InlineData("""{"idleTimeoutSeconds":"60"}""", "application/json", HttpStatusCode.BadRequest)]
    [InlineData("""{"data":[1]}""", "application/json", HttpStatusCode.BadRequest)]
    [InlineData("""{"data":{"bad key":1}}""", "application/json", HttpStatusCode.BadRequest)]
    [InlineData("""{"colour":"red"}""", "application/json", HttpStatusCode.BadRequest)]
    [InlineData("""[]""", "application/json", HttpStatusCode.BadRequest)]
    [InlineData("""{"data":""", "application/json", HttpStatusCode.BadRequest)]
    [InlineData("""{"data":{}}""", "text/plain", HttpStatusCode.UnsupportedMediaType)]
    public async Task Creating_a_session_from_a_bad_body_answers_4xx_and_creates_nothing(string body, string mediaType, HttpStatusCode expected)
    {
        var witness = await Api.Create();
        var storedBefore = await frontEnd.StoredSessionIds();
        Assert.Contains(witness.Id, storedBefore);   // the storage query sees new sessions, so the check below can fail
        await Api.Get(witness.Token);                 // a session is activated by its first call after its creation
        var before = await frontEnd.ActiveSessionIds();
        Assert.Contains(witness.Id, before);          // the activation query sees sessions, so the check below can fail
        using var response = await _http.PostAsync("/sessions", new StringContent(body, Encoding.UTF8, mediaType));
        await SessionApi.AssertProblem(response, expected);
        Assert.False(response.Headers.Contains("Set-Cookie"));
        // Tests of this collection run one at a time, so a new session could only come from this request.
        Assert.Empty((await frontEnd.StoredSessionIds()).Except(storedBefore));
        Assert.Empty((await frontEnd.ActiveSessionIds()).Except(before));
    }

    private async Task AssertUnchanged(CreatedSession session)
    {
        var after = await Api.Get(session.Token);
        Assert.Equal(1, after.GetProperty("version").GetInt64());
        Assert.Equal("""{"a":1}""", after.GetProperty("data").GetRawText());
    }

    public void Dispose() => _http.Dispose();
}
