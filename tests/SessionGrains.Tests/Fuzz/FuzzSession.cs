using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using SessionGrains.Tests.Infrastructure;
using Xunit;

namespace SessionGrains.Tests.Fuzz;

/// <summary>The session a fuzzed sequence acts on: builds its requests and knows its data and version as last seen.</summary>
public sealed class FuzzSession(HttpClient http, string apiKey, string user)
{
    private string _snapshot = "";

    public string Token { get; private set; } = "";

    public string Id { get; private set; } = "";

    public static async Task<FuzzSession> Create(HttpClient http, string apiKey, int iteration)
    {
        var session = new FuzzSession(http, apiKey, $"fuzz-user-{iteration}");
        await session.Recreate();
        return session;
    }

    /// <summary>The request as it goes out: placeholders filled, credential, headers and body as generated.</summary>
    public HttpRequestMessage Build(FuzzRequest r, Uri baseAddress)
    {
        var path = r.Path.Replace("{id}", Id, StringComparison.Ordinal).Replace("{user}", user, StringComparison.Ordinal);
        var request = new HttpRequestMessage(new HttpMethod(r.Method), path);
        switch (r.Credential)
        {
            case "bearer": request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token); break;
            case "cookie": request.Headers.Add("Cookie", "sid=" + Token); break;
            case "garbage": request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + Token[..10] + "." + Token[10..]); break;
            case "bearer-and-cookie":
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token);
                request.Headers.Add("Cookie", "sid=" + Token);
                break;
        }
        if (r.IdempotencyKey is not null) request.Headers.TryAddWithoutValidation("Idempotency-Key", r.IdempotencyKey);
        if (r.IfMatch is not null) request.Headers.TryAddWithoutValidation("If-Match", r.IfMatch);
        if (r.Origin is not null) request.Headers.TryAddWithoutValidation("Origin", r.Origin == "self" ? baseAddress.GetLeftPart(UriPartial.Authority) : r.Origin);
        if (r.FetchSite is not null) request.Headers.TryAddWithoutValidation("Sec-Fetch-Site", r.FetchSite);
        if (r.ApiKey is not null) request.Headers.TryAddWithoutValidation("X-Api-Key", r.ApiKey == "valid" ? apiKey : "wrong-key");
        if (r.Accept is not null) request.Headers.TryAddWithoutValidation("Accept", r.Accept);
        if (r.Body is not null)
        {
            request.Content = new ByteArrayContent(r.Body);
            if (r.ContentType is not null) request.Content.Headers.TryAddWithoutValidation("Content-Type", r.ContentType);
        }
        if (r.Extra is { } extra)
        {
            var (name, value) = (extra[..extra.IndexOf(':')], extra[(extra.IndexOf(':') + 2)..]);
            if (name == "Transfer-Encoding") request.Headers.TransferEncodingChunked = request.Content is not null;
            else request.Headers.TryAddWithoutValidation(name, value);
        }
        return request;
    }

    /// <summary>Whether data and version are as last seen.</summary>
    public async Task<bool> IsUnchanged() => await Snapshot() == _snapshot;

    /// <summary>After a success: a rotation's new token is taken, an ended session is replaced, and what is stored now is remembered.</summary>
    public async Task Refresh(FuzzRequest request, HttpStatusCode status, string body)
    {
        // Every credential a request carries is this session's token (or a broken one), so a rotation that succeeded moved this session.
        if (status == HttpStatusCode.OK && request.Method == "POST" && request.Path == "/sessions/current/rotate")
        {
            var rotated = JsonDocument.Parse(body).RootElement;
            (Id, Token) = (rotated.GetProperty("id").GetString()!, rotated.GetProperty("token").GetString()!);
        }
        var now = await Snapshot();
        if (now is null) await Recreate();
        else _snapshot = now;
    }

    private async Task Recreate()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/sessions") { Content = SessionApi.Json($$"""{"data":{"a":1,"n":5},"userId":"{{user}}"}""") };
        request.Headers.Add("X-Api-Key", apiKey);
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var created = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        (Id, Token) = (created.GetProperty("id").GetString()!, created.GetProperty("token").GetString()!);
        _snapshot = (await Snapshot())!;
    }

    /// <summary>Version and data as <c>GET /sessions/current</c> shows them; null when the session is gone.</summary>
    private async Task<string?> Snapshot()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/sessions/current");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        using var response = await http.SendAsync(request);
        if (response.StatusCode == HttpStatusCode.NotFound) return null;
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET /sessions/current answered {(int)response.StatusCode}: {text}");
        var session = JsonDocument.Parse(text).RootElement;
        return session.GetProperty("version").GetInt64() + " " + session.GetProperty("data").GetRawText();
    }
}
