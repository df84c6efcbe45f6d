using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;

namespace SessionGrains.Http;

/// <summary>
/// A typed client of the SessionGrains HTTP API (docs/API.md). Every call names the session by its bearer token, so one
/// client serves any number of sessions. Refusals throw a <see cref="SessionGrainsException"/> subclass; every write
/// carries an idempotency key (yours in <see cref="WriteOptions"/>, or a new one per call) that its retries reuse.
/// Register it with <see cref="ServiceCollectionExtensions.AddSessionGrainsClient"/> or construct it over any HttpClient.
/// </summary>
public sealed partial class SessionGrainsClient
{
    /// <summary>The header that names the lease a write is made under.</summary>
    public const string LeaseHeader = "Session-Lease";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly HttpClient _http;

    /// <summary>A client over <paramref name="http"/>, whose <see cref="HttpClient.BaseAddress"/> is the front end.</summary>
    public SessionGrainsClient(HttpClient http, IOptions<SessionGrainsClientOptions>? options = null)
    {
        _http = http ?? throw new ArgumentNullException(nameof(http));
        Options = options?.Value ?? new SessionGrainsClientOptions();
        if (_http.BaseAddress is null && Options.BaseAddress is not null) _http.BaseAddress = Options.BaseAddress;
        if (_http.BaseAddress is null) throw new ArgumentException("The HttpClient needs a BaseAddress (or set SessionGrainsClientOptions.BaseAddress).", nameof(http));
    }

    /// <summary>The settings in force.</summary>
    public SessionGrainsClientOptions Options { get; }

    /// <summary>The front end's address.</summary>
    public Uri BaseAddress => _http.BaseAddress!;

    /// <summary>Creates a session (<c>POST /sessions</c>). A retry after a lost answer may create a second, unused session.</summary>
    public async Task<CreatedSession> CreateAsync(CreateSessionRequest? request = null, CancellationToken cancellationToken = default)
    {
        var body = new JsonObject();
        if (request?.Data is { } data) body["data"] = JsonSerializer.SerializeToNode(data, Json);
        if (request?.IdleTimeout is { } idle) body["idleTimeoutSeconds"] = (long)Math.Ceiling(idle.TotalSeconds);
        using var message = Request(HttpMethod.Post, "sessions", null, body);
        return await SendAsync<CreatedSession>(message, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The whole session (<c>GET /sessions/current</c>).</summary>
    public async Task<SessionSnapshot> GetAsync(string token, CancellationToken cancellationToken = default)
    {
        using var message = Request(HttpMethod.Get, "sessions/current", token);
        return await SendAsync<SessionSnapshot>(message, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Ends the session (<c>DELETE /sessions/current</c>).</summary>
    public async Task DeleteAsync(string token, WriteOptions? write = null, CancellationToken cancellationToken = default)
    {
        using var message = Request(HttpMethod.Delete, "sessions/current", token, write: write ?? new WriteOptions());
        using var response = await SendCheckedAsync(message, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Moves the session to a new id and token (<c>POST /sessions/current/rotate</c>); the old token is dead afterwards.</summary>
    public async Task<CreatedSession> RotateAsync(string token, WriteOptions? write = null, CancellationToken cancellationToken = default)
    {
        using var message = Request(HttpMethod.Post, "sessions/current/rotate", token, write: write ?? new WriteOptions());
        return await SendAsync<CreatedSession>(message, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Where the session grain is active now (<c>GET /sessions/current/placement</c>).</summary>
    public async Task<SessionPlacement> GetPlacementAsync(string token, CancellationToken cancellationToken = default)
    {
        using var message = Request(HttpMethod.Get, "sessions/current/placement", token);
        return await SendAsync<SessionPlacement>(message, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sends a message to every WebSocket of the session (<c>POST /sessions/current/messages</c>); answers its sequence number.</summary>
    public async Task<long> SendMessageAsync<T>(string token, T message, WriteOptions? write = null, CancellationToken cancellationToken = default)
    {
        using var request = Request(HttpMethod.Post, "sessions/current/messages", token, JsonSerializer.SerializeToNode(message, Json), write ?? new WriteOptions());
        var accepted = await SendAsync<JsonElement>(request, cancellationToken).ConfigureAwait(false);
        return accepted.GetProperty("seq").GetInt64();
    }

    /// <summary>A request with the token, a JSON body and the write's conditions; a write always gets an idempotency key.</summary>
    private static HttpRequestMessage Request(HttpMethod method, string path, string? token, JsonNode? body = null, WriteOptions? write = null, string mediaType = "application/json")
    {
        var message = new HttpRequestMessage(method, path);
        if (token is not null) message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (body is not null) message.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, mediaType);
        if (write is not null || method != HttpMethod.Get)
        {
            message.Headers.TryAddWithoutValidation(IdempotencyKeyHandler.Header, write?.IdempotencyKey ?? IdempotencyKeyHandler.NewKey());
        }
        if (write?.IfMatch is { } version) message.Headers.IfMatch.Add(new EntityTagHeaderValue($"\"{version.ToString(CultureInfo.InvariantCulture)}\""));
        if (write?.LeaseId is { } lease) message.Headers.TryAddWithoutValidation(LeaseHeader, lease);
        return message;
    }

    private async Task<T> SendAsync<T>(HttpRequestMessage message, CancellationToken cancellationToken)
    {
        using var response = await SendCheckedAsync(message, cancellationToken).ConfigureAwait(false);
        return await response.Content.ReadFromJsonAsync<T>(Json, cancellationToken).ConfigureAwait(false)
            ?? throw new SessionGrainsException(response.StatusCode, null, null, "The answer had no body.");
    }

    /// <summary>Sends; a refusal becomes its typed exception.</summary>
    private async Task<HttpResponseMessage> SendCheckedAsync(HttpRequestMessage message, CancellationToken cancellationToken)
    {
        var response = await _http.SendAsync(message, cancellationToken).ConfigureAwait(false);
        if (response.IsSuccessStatusCode) return response;
        using (response)
        {
            throw await ProblemDetails.ReadAsync(response, cancellationToken).ConfigureAwait(false);
        }
    }
}
