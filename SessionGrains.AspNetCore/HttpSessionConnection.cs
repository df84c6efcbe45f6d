using System.Text.Json;
using System.Text.Json.Nodes;
using SessionGrains.Http;

namespace SessionGrains.AspNetCore;

/// <summary>Sessions over the front end's HTTP API (<see cref="SessionGrainsClient"/>): one HTTP round trip per call, JSON bodies.</summary>
internal sealed class HttpSessionConnection(SessionGrainsClient client) : ISessionConnection
{
    public async Task<Dictionary<string, byte[]>?> AcquireAsync(string token, string leaseId, TimeSpan ttl, TimeSpan wait, CancellationToken cancellationToken)
    {
        try
        {
            var lease = await client.AcquireLeaseAsync(token, new LeaseRequest { LeaseId = leaseId, Ttl = ttl, Wait = wait }, cancellationToken).ConfigureAwait(false);
            return Decoded(lease.Session.Data);
        }
        catch (SessionNotFoundException)
        {
            return null;
        }
    }

    public async Task<Dictionary<string, byte[]>?> ReadAsync(string token, CancellationToken cancellationToken)
    {
        try
        {
            return Decoded((await client.GetAsync(token, cancellationToken).ConfigureAwait(false)).Data);
        }
        catch (SessionNotFoundException)
        {
            return null;
        }
    }

    public Task ReleaseAsync(string token, string leaseId, IReadOnlyDictionary<string, byte[]?>? changes, CancellationToken cancellationToken) =>
        client.ReleaseLeaseAsync(token, leaseId, changes is { Count: > 0 } ? Patch(changes) : null, cancellationToken: cancellationToken);

    public Task PatchAsync(string token, IReadOnlyDictionary<string, byte[]?> changes, CancellationToken cancellationToken) =>
        client.PatchAsync(token, Patch(changes), cancellationToken: cancellationToken);

    public async Task<string> CreateAsync(IReadOnlyDictionary<string, byte[]> data, TimeSpan idleTimeout, CancellationToken cancellationToken)
    {
        var encoded = data.ToDictionary(entry => SessionKeyCodec.Encode(entry.Key), entry => (object?)Convert.ToBase64String(entry.Value), StringComparer.Ordinal);
        var created = await client.CreateAsync(new CreateSessionRequest { Data = encoded, IdleTimeout = idleTimeout }, cancellationToken).ConfigureAwait(false);
        return created.Token;
    }

    public Task TouchAsync(string token, CancellationToken cancellationToken) => client.GetPlacementAsync(token, cancellationToken);

    /// <summary>The changes as a merge patch of data keys: base64 of the bytes, or null to remove.</summary>
    private static JsonObject Patch(IReadOnlyDictionary<string, byte[]?> changes)
    {
        var patch = new JsonObject();
        foreach (var (key, value) in changes) patch[SessionKeyCodec.Encode(key)] = value is null ? null : Convert.ToBase64String(value);
        return patch;
    }

    private static Dictionary<string, byte[]> Decoded(IReadOnlyDictionary<string, JsonElement> data)
    {
        var values = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var (dataKey, value) in data)
        {
            // Keys without the prefix belong to other users of the session's API; values that are not base64 strings too.
            if (SessionKeyCodec.Decode(dataKey) is not { } key || value.ValueKind != JsonValueKind.String || !value.TryGetBytesFromBase64(out var bytes)) continue;
            values[key] = bytes;
        }
        return values;
    }
}
