using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace SessionGrains.Bench.LoadGen.Load;

/// <summary>
/// The operations every scenario uses, on the paths both targets share (<c>POST /sessions</c>,
/// <c>/sessions/current/data/{key}</c>, <c>/sessions/current/counters/{key}/increment</c>). Only the way a
/// session is named differs: SessionGrains takes <c>Authorization: Bearer &lt;token&gt;</c>, the baseline its cookie.
/// </summary>
public sealed class SessionApi(HttpClient http, bool sessionGrains)
{
    private static readonly MediaTypeHeaderValue Json = new("application/json");

    public HttpClient Http => http;

    public bool IsSessionGrains => sessionGrains;

    /// <summary>Creates a session; null when the target refused.</summary>
    public async Task<SessionHandle?> TryCreate(byte[] body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/sessions") { Content = JsonContent(body) };
        using var response = await http.SendAsync(request, cancellationToken);
        if (response.StatusCode != HttpStatusCode.Created) return null;
        if (sessionGrains)
        {
            using var document = JsonDocument.Parse(await response.Content.ReadAsStreamAsync(cancellationToken));
            var token = document.RootElement.GetProperty("token").GetString()!;
            return new SessionHandle("Authorization", "Bearer " + token, token);
        }
        await response.Content.LoadIntoBufferAsync(cancellationToken);
        var cookie = response.Headers.TryGetValues("Set-Cookie", out var values) ? values.First().Split(';')[0] : null;
        return cookie is null ? null : new SessionHandle("Cookie", cookie, null);
    }

    public async Task<SessionHandle> Create(byte[] body, CancellationToken cancellationToken) =>
        await TryCreate(body, cancellationToken) ?? throw new InvalidOperationException("POST /sessions did not create a session");

    public Task<bool> Read(SessionHandle session, string key, CancellationToken cancellationToken) =>
        Send(session, HttpMethod.Get, $"/sessions/current/data/{key}", null, cancellationToken);

    public Task<bool> Write(SessionHandle session, string key, byte[] json, CancellationToken cancellationToken) =>
        Send(session, HttpMethod.Put, $"/sessions/current/data/{key}", json, cancellationToken);

    public Task<bool> Increment(SessionHandle session, string key, CancellationToken cancellationToken) =>
        Send(session, HttpMethod.Post, $"/sessions/current/counters/{key}/increment", null, cancellationToken);

    public Task<bool> Publish(SessionHandle session, byte[] json, CancellationToken cancellationToken) =>
        Send(session, HttpMethod.Post, "/sessions/current/messages", json, cancellationToken);

    /// <summary>A GET without a session (the bare Kestrel app's <c>/ok</c>); true on 2xx.</summary>
    public async Task<bool> Get(string path, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
        return response.IsSuccessStatusCode;
    }

    /// <summary>The JSON text of one value, or null when there is none.</summary>
    public async Task<string?> Value(SessionHandle session, string key, CancellationToken cancellationToken)
    {
        using var request = Request(session, HttpMethod.Get, $"/sessions/current/data/{key}", null);
        using var response = await http.SendAsync(request, cancellationToken);
        return response.IsSuccessStatusCode ? await response.Content.ReadAsStringAsync(cancellationToken) : null;
    }

    private async Task<bool> Send(SessionHandle session, HttpMethod method, string path, byte[]? body, CancellationToken cancellationToken)
    {
        using var request = Request(session, method, path, body);
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
        return response.IsSuccessStatusCode;
    }

    private static HttpRequestMessage Request(SessionHandle session, HttpMethod method, string path, byte[]? body)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.TryAddWithoutValidation(session.HeaderName, session.HeaderValue);
        if (body is not null) request.Content = JsonContent(body);
        return request;
    }

    private static ByteArrayContent JsonContent(byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = Json;
        return content;
    }

    public static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    /// <summary>A client for one target: no cookies kept (each request names its session), a connection per worker.</summary>
    public static HttpClient CreateClient(Uri baseAddress, int connections) =>
        new(new SocketsHttpHandler
        {
            UseCookies = false,
            MaxConnectionsPerServer = connections,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            AutomaticDecompression = DecompressionMethods.None,
            UseProxy = false,
        })
        {
            BaseAddress = baseAddress,
            Timeout = TimeSpan.FromSeconds(30),
        };
}
