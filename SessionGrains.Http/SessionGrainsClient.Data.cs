using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SessionGrains.Http;

// Session data: values, merge patches, counters.
public sealed partial class SessionGrainsClient
{
    /// <summary>One value as JSON (<c>GET /sessions/current/data/{key}</c>); <see cref="SessionKeyNotFoundException"/> when absent.</summary>
    public async Task<JsonElement> GetValueAsync(string token, string key, CancellationToken cancellationToken = default)
    {
        using var message = Request(HttpMethod.Get, DataPath(key), token);
        return await SendAsync<JsonElement>(message, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>One value, deserialized as <typeparamref name="T"/>.</summary>
    public async Task<T?> GetValueAsync<T>(string token, string key, CancellationToken cancellationToken = default) =>
        (await GetValueAsync(token, key, cancellationToken).ConfigureAwait(false)).Deserialize<T>(Json);

    /// <summary>Sets one key to <paramref name="value"/> as JSON (<c>PUT</c>); answers the new session version.</summary>
    public async Task<long> PutAsync<T>(string token, string key, T value, WriteOptions? write = null, CancellationToken cancellationToken = default)
    {
        using var message = Request(HttpMethod.Put, DataPath(key), token, JsonSerializer.SerializeToNode(value, Json), write ?? new WriteOptions());
        // A null value is stored as JSON null (it does not remove the key).
        message.Content ??= new StringContent("null", System.Text.Encoding.UTF8, "application/json");
        return await VersionOf(message, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Removes one key (<c>DELETE</c>); <see cref="SessionKeyNotFoundException"/> when absent. Answers the new version.</summary>
    public async Task<long> RemoveAsync(string token, string key, WriteOptions? write = null, CancellationToken cancellationToken = default)
    {
        using var message = Request(HttpMethod.Delete, DataPath(key), token, write: write ?? new WriteOptions());
        return await VersionOf(message, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Changes several keys at once with a JSON merge patch (<c>PATCH /sessions/current/data</c>): a member set to null
    /// removes its key. Answers the new version (the current one for an empty patch).
    /// </summary>
    public async Task<long> PatchAsync(string token, JsonObject patch, WriteOptions? write = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(patch);
        using var message = Request(HttpMethod.Patch, "sessions/current/data", token, patch, write ?? new WriteOptions(), "application/merge-patch+json");
        return await VersionOf(message, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Adds <paramref name="by"/> to an integer atomically (<c>POST …/counters/{key}/increment</c>); an absent key counts from 0.</summary>
    public async Task<CounterValue> IncrementAsync(string token, string key, long by = 1, WriteOptions? write = null, CancellationToken cancellationToken = default)
    {
        var path = $"sessions/current/counters/{Uri.EscapeDataString(key)}/increment?by={by.ToString(CultureInfo.InvariantCulture)}";
        using var message = Request(HttpMethod.Post, path, token, write: write ?? new WriteOptions());
        return await SendAsync<CounterValue>(message, cancellationToken).ConfigureAwait(false);
    }

    private async Task<long> VersionOf(HttpRequestMessage message, CancellationToken cancellationToken)
    {
        using var response = await SendCheckedAsync(message, cancellationToken).ConfigureAwait(false);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(Json, cancellationToken).ConfigureAwait(false);
        return body.GetProperty("version").GetInt64();
    }

    private static string DataPath(string key) => "sessions/current/data/" + Uri.EscapeDataString(key);
}
