using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SessionGrains.Http;

// Request leases: a per-session lock for a read-modify-write, acquired with the session's data and released with the commit.
public sealed partial class SessionGrainsClient
{
    /// <summary>
    /// Acquires the session's request lease (<c>POST /sessions/current/lease</c>) and answers it with the session as it
    /// stood. Waits in line while another request holds it, up to <see cref="LeaseRequest.Wait"/>; then
    /// <see cref="LeaseBusyException"/>. Retry-safe when <see cref="LeaseRequest.LeaseId"/> is set.
    /// </summary>
    public async Task<SessionLease> AcquireLeaseAsync(string token, LeaseRequest? request = null, CancellationToken cancellationToken = default)
    {
        var body = new JsonObject { ["leaseId"] = request?.LeaseId ?? IdempotencyKeyHandler.NewKey()[2..] };
        if (request?.Ttl is { } ttl) body["ttlSeconds"] = (int)Math.Ceiling(ttl.TotalSeconds);
        if (request?.Wait is { } wait) body["waitMilliseconds"] = (int)Math.Min(int.MaxValue, Math.Ceiling(wait.TotalMilliseconds));
        using var message = Request(HttpMethod.Post, "sessions/current/lease", token, body);
        return await SendAsync<SessionLease>(message, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Releases the lease (<c>DELETE /sessions/current/lease</c>), first committing <paramref name="patch"/> under it as one
    /// merge patch when given (a refused patch keeps the lease: release again without one). Answers the session version.
    /// </summary>
    public async Task<long> ReleaseLeaseAsync(string token, string leaseId, JsonObject? patch = null, WriteOptions? write = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(leaseId);
        using var message = Request(HttpMethod.Delete, "sessions/current/lease", token, patch, (write ?? new WriteOptions()) with { LeaseId = leaseId },
            "application/merge-patch+json");
        using var response = await SendCheckedAsync(message, cancellationToken).ConfigureAwait(false);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(Json, cancellationToken).ConfigureAwait(false);
        return body.GetProperty("version").GetInt64();
    }

    /// <summary>The WebSocket address of the session's events, resuming after <paramref name="afterSeq"/> when given.</summary>
    internal Uri EventsUri(long? afterSeq)
    {
        var builder = new UriBuilder(new Uri(BaseAddress, "sessions/current/ws"));
        builder.Scheme = builder.Scheme == Uri.UriSchemeHttps ? "wss" : "ws";
        if (afterSeq is { } seq) builder.Query = "afterSeq=" + seq.ToString(CultureInfo.InvariantCulture);
        return builder.Uri;
    }
}
