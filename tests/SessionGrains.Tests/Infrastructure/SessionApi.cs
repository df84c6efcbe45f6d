using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Xunit;

namespace SessionGrains.Tests.Infrastructure;

/// <summary>A thin client of the session HTTP API for tests: raw requests, bearer tokens, JSON bodies.</summary>
public sealed class SessionApi(HttpClient http)
{
    public HttpClient Http { get; } = http;

    public async Task<CreatedSession> Create(string? bodyJson = null, string? apiKey = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/sessions");
        if (bodyJson is not null) request.Content = Json(bodyJson);
        if (apiKey is not null) request.Headers.Add("X-Api-Key", apiKey);
        using var response = await Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"POST /sessions answered {(int)response.StatusCode}: {text}");
        var body = JsonDocument.Parse(text).RootElement;
        return new CreatedSession(body.GetProperty("id").GetString()!, body.GetProperty("token").GetString()!, body.GetProperty("version").GetInt64());
    }

    public Task<HttpResponseMessage> Send(HttpMethod method, string path, string? token, HttpContent? content = null, Action<HttpRequestMessage>? configure = null)
    {
        var request = new HttpRequestMessage(method, path) { Content = content };
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        configure?.Invoke(request);
        return Http.SendAsync(request);
    }

    /// <summary>The session as <c>GET /sessions/current</c> shows it; fails the test unless 200.</summary>
    public async Task<JsonElement> Get(string token)
    {
        using var response = await Send(HttpMethod.Get, "/sessions/current", token);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET /sessions/current answered {(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    public static StringContent Json(string json, string mediaType = "application/json") => new(json, Encoding.UTF8, mediaType);

    /// <summary>Asserts a problem detail (RFC 9457) with the status and returns its body.</summary>
    public static async Task<JsonElement> AssertProblem(HttpResponseMessage response, HttpStatusCode status)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var body = JsonDocument.Parse(text).RootElement.Clone();
        Assert.Equal((int)status, body.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrEmpty(body.GetProperty("title").GetString()));
        return body;
    }
}

public sealed record CreatedSession(string Id, string Token, long Version);
