using System.Net;
using System.Text.Json;
using SessionGrains.Tests.Infrastructure;
using Xunit;

namespace SessionGrains.Tests.Http;

[Collection(StandaloneCollection.Name)]
public sealed class DataEndpointTests(StandaloneFrontEnd frontEnd) : IDisposable
{
    private readonly HttpClient _http = frontEnd.CreateClient();
    private SessionApi Api => new(_http);

    [Fact]
    public async Task A_put_value_is_returned_as_stored_JSON_with_the_new_version()
    {
        var session = await Api.Create();
        using var put = await Api.Send(HttpMethod.Put, "/sessions/current/data/profile", session.Token, SessionApi.Json("""{ "name" : "ada", "tags": [1, 2] }"""));
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        Assert.Equal(2, JsonDocument.Parse(await put.Content.ReadAsStringAsync()).RootElement.GetProperty("version").GetInt64());
        Assert.Equal("\"2\"", put.Headers.ETag?.Tag);

        using var get = await Api.Send(HttpMethod.Get, "/sessions/current/data/profile", session.Token);
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal("application/json", get.Content.Headers.ContentType?.MediaType);
        Assert.Equal("""{"name":"ada","tags":[1,2]}""", await get.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Getting_or_deleting_an_absent_key_answers_404()
    {
        var session = await Api.Create();
        using var get = await Api.Send(HttpMethod.Get, "/sessions/current/data/missing", session.Token);
        await SessionApi.AssertProblem(get, HttpStatusCode.NotFound);
        using var delete = await Api.Send(HttpMethod.Delete, "/sessions/current/data/missing", session.Token);
        await SessionApi.AssertProblem(delete, HttpStatusCode.NotFound);
        Assert.Equal(1, (await Api.Get(session.Token)).GetProperty("version").GetInt64());
    }

    [Fact]
    public async Task Deleting_a_key_removes_it_and_bumps_the_version()
    {
        var session = await Api.Create("""{"data":{"a":1,"b":2}}""");
        using var delete = await Api.Send(HttpMethod.Delete, "/sessions/current/data/a", session.Token);
        Assert.Equal(HttpStatusCode.OK, delete.StatusCode);
        var after = await Api.Get(session.Token);
        Assert.False(after.GetProperty("data").TryGetProperty("a", out _));
        Assert.Equal(2, after.GetProperty("version").GetInt64());
    }

    [Fact]
    public async Task A_merge_patch_changes_all_keys_at_once_merging_objects_and_deleting_nulls()
    {
        var session = await Api.Create("""{"data":{"keep":1,"drop":2,"profile":{"name":"ada","city":"london"}}}""");
        using var patch = await Api.Send(HttpMethod.Patch, "/sessions/current/data", session.Token,
            SessionApi.Json("""{"drop":null,"profile":{"city":null,"lang":"en"},"added":[true]}""", "application/merge-patch+json"));
        Assert.Equal(HttpStatusCode.OK, patch.StatusCode);

        var data = (await Api.Get(session.Token)).GetProperty("data");
        Assert.Equal(1, data.GetProperty("keep").GetInt32());
        Assert.False(data.TryGetProperty("drop", out _));
        Assert.Equal("""{"name":"ada","lang":"en"}""", data.GetProperty("profile").GetRawText());
        Assert.True(data.GetProperty("added")[0].GetBoolean());
    }

    [Fact]
    public async Task A_write_with_a_stale_If_Match_answers_412_and_changes_nothing()
    {
        var session = await Api.Create("""{"data":{"a":1}}""");
        using var fresh = await Api.Send(HttpMethod.Put, "/sessions/current/data/a", session.Token, SessionApi.Json("2"),
            r => r.Headers.TryAddWithoutValidation("If-Match", "\"1\""));
        Assert.Equal(HttpStatusCode.OK, fresh.StatusCode);

        using var stale = await Api.Send(HttpMethod.Put, "/sessions/current/data/a", session.Token, SessionApi.Json("3"),
            r => r.Headers.TryAddWithoutValidation("If-Match", "\"1\""));
        await SessionApi.AssertProblem(stale, HttpStatusCode.PreconditionFailed);
        using var stalePatch = await Api.Send(HttpMethod.Patch, "/sessions/current/data", session.Token, SessionApi.Json("""{"a":4}"""),
            r => r.Headers.TryAddWithoutValidation("If-Match", "\"1\""));
        await SessionApi.AssertProblem(stalePatch, HttpStatusCode.PreconditionFailed);

        var after = await Api.Get(session.Token);
        Assert.Equal(2, after.GetProperty("data").GetProperty("a").GetInt32());
        Assert.Equal(2, after.GetProperty("version").GetInt64());
    }

    [Fact]
    public async Task Increment_adds_one_by_default_or_the_given_amount_and_may_go_negative()
    {
        var session = await Api.Create();
        Assert.Equal(1, await Increment(session.Token, "visits", ""));
        Assert.Equal(11, await Increment(session.Token, "visits", "?by=10"));
        Assert.Equal(-9, await Increment(session.Token, "visits", "?by=-20"));
        Assert.Equal(-9, (await Api.Get(session.Token)).GetProperty("data").GetProperty("visits").GetInt64());
    }

    [Fact]
    public async Task Incrementing_a_key_that_holds_a_non_integer_answers_409_and_changes_nothing()
    {
        var session = await Api.Create("""{"data":{"name":"ada","ratio":1.5}}""");
        foreach (var key in new[] { "name", "ratio" })
        {
            using var response = await Api.Send(HttpMethod.Post, $"/sessions/current/counters/{key}/increment", session.Token);
            await SessionApi.AssertProblem(response, HttpStatusCode.Conflict);
        }
        var after = await Api.Get(session.Token);
        Assert.Equal(1, after.GetProperty("version").GetInt64());
        Assert.Equal("ada", after.GetProperty("data").GetProperty("name").GetString());
    }

    [Fact]
    public async Task A_retried_write_with_the_same_idempotency_key_returns_the_first_outcome_and_applies_once()
    {
        var session = await Api.Create();
        var first = await Increment(session.Token, "n", "?by=5", idempotencyKey: "order-17");
        var retried = await Increment(session.Token, "n", "?by=5", idempotencyKey: "order-17");
        Assert.Equal(5, first);
        Assert.Equal(5, retried);
        var after = await Api.Get(session.Token);
        Assert.Equal(5, after.GetProperty("data").GetProperty("n").GetInt64());
        Assert.Equal(2, after.GetProperty("version").GetInt64());

        Assert.Equal(10, await Increment(session.Token, "n", "?by=5", idempotencyKey: "order-18"));
    }

    private async Task<long> Increment(string token, string key, string query, string? idempotencyKey = null)
    {
        using var response = await Api.Send(HttpMethod.Post, $"/sessions/current/counters/{key}/increment{query}", token,
            configure: r => { if (idempotencyKey is not null) r.Headers.Add("Idempotency-Key", idempotencyKey); });
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        return JsonDocument.Parse(text).RootElement.GetProperty("value").GetInt64();
    }

    public void Dispose() => _http.Dispose();
}
