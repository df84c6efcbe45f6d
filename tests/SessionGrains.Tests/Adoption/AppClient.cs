using System.Net;

namespace SessionGrains.Tests.Adoption;

/// <summary>A browser of a <see cref="SessionApp"/>: it keeps the session cookie the app sets and sends it back.</summary>
public sealed class AppClient(Uri address, string? cookie = null) : IDisposable
{
    private readonly HttpClient _http = new(new SocketsHttpHandler { UseCookies = false }) { BaseAddress = address, Timeout = TimeSpan.FromSeconds(60) };

    public string? Cookie { get; set; } = cookie;

    public async Task<string> Send(HttpMethod method, string path, HttpStatusCode expected = HttpStatusCode.OK)
    {
        using var request = new HttpRequestMessage(method, path);
        if (Cookie is not null) request.Headers.Add("Cookie", Cookie);
        using var response = await _http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        if (response.StatusCode != expected) throw new InvalidOperationException($"{method} {path} answered {(int)response.StatusCode}: {body}");
        if (ShopProcess.SessionCookie(response) is { } set) Cookie = set;
        return body;
    }

    public Task<string> Get(string path) => Send(HttpMethod.Get, path);

    public Task<string> Post(string path) => Send(HttpMethod.Post, path);

    public void Dispose() => _http.Dispose();
}
