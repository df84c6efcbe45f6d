using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using SessionGrains.Hosting;
using SessionGrains.Interfaces;

namespace SessionGrains.Client.Sessions;

/// <summary>
/// Reads <c>If-Match</c> and <c>Idempotency-Key</c> of a write. A write without a client key gets one from the
/// front end, so that the front end's own retries apply it once: stored with the session in a cluster, where a retry
/// may reach another silo after a crash; kept in memory only in standalone mode, where a retry never leaves the process
/// (<see cref="SessionKeys.LocalFrontEndKeyPrefix"/>).
/// </summary>
public static class WriteConditions
{
    public const string IdempotencyKeyHeader = "Idempotency-Key";

    /// <summary>Names the request lease a write is made under (see LeaseEndpoints).</summary>
    public const string LeaseHeader = "Session-Lease";

    public static bool TryRead(HttpRequest request, out SessionWrite write, out ProblemHttpResult? problem)
    {
        write = SessionWrite.Unconditional;
        problem = null;

        long? ifMatch = null;
        var ifMatchHeader = request.Headers.IfMatch;
        if (ifMatchHeader.Count > 0)
        {
            if (!TryParseVersion(ifMatchHeader.ToString(), out ifMatch))
            {
                problem = SessionProblems.BadRequest("If-Match must be one version as an entity tag, e.g. \"3\", or *.");
                return false;
            }
        }

        string key;
        var keyHeader = request.Headers[IdempotencyKeyHeader];
        if (keyHeader.Count == 0)
        {
            var standalone = request.HttpContext.RequestServices.GetRequiredService<IOptions<SessionClusterOptions>>().Value.IsStandalone;
            // A local key never leaves this process (nor outlives it, like the grain's memory that keeps its answer). A
            // stored one must be unique across front ends and restarts: the process' random nonce and a counter.
            key = standalone ? SessionKeys.NewLocalKey() : SessionKeys.NewFrontEndKey();
        }
        else
        {
            key = keyHeader.ToString();
            if (keyHeader.Count > 1 || !SessionKeys.IsValidIdempotencyKey(key))
            {
                problem = SessionProblems.BadRequest(SessionKeys.IdempotencyKeyRule);
                return false;
            }
            if (SessionKeys.IsLocalKey(key))
            {
                problem = SessionProblems.BadRequest($"Idempotency-Key may not start with '{SessionKeys.LocalFrontEndKeyPrefix}': the front end reserves it for keys it keeps in memory only.");
                return false;
            }
        }
        if (!TryReadLease(request, out var leaseId, out problem)) return false;
        write = new SessionWrite(ifMatch, key, leaseId);
        return true;
    }

    /// <summary>The <c>Session-Lease</c> header: the request lease a write is made under, if any.</summary>
    public static bool TryReadLease(HttpRequest request, out string? leaseId, out ProblemHttpResult? problem)
    {
        leaseId = null;
        problem = null;
        var header = request.Headers[LeaseHeader];
        if (header.Count == 0) return true;
        leaseId = header.ToString();
        if (header.Count == 1 && SessionLeases.IsValidId(leaseId)) return true;
        problem = SessionProblems.BadRequest(SessionLeases.IdRule);
        return false;
    }

    /// <summary>The entity tag of a session version.</summary>
    public static string ETagOf(long version) => $"\"{version.ToString(CultureInfo.InvariantCulture)}\"";

    private static bool TryParseVersion(string value, out long? version)
    {
        version = null;
        var text = value.Trim();
        if (text == "*") return true;
        if (text.StartsWith("W/", StringComparison.Ordinal)) text = text[2..];
        if (text.Length < 3 || text[0] != '"' || text[^1] != '"') return false;
        if (!long.TryParse(text.AsSpan(1, text.Length - 2), NumberStyles.None, CultureInfo.InvariantCulture, out var parsed)) return false;
        version = parsed;
        return true;
    }
}
