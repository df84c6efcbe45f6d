using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using SessionGrains.Interfaces;

namespace SessionGrains.Client.Sessions;

/// <summary>
/// The request lease of the caller's session: <c>POST</c> acquires it (waiting in line) and loads the session in the
/// same round trip; <c>DELETE</c> releases it, optionally committing a merge patch under it first. Writes name the
/// lease in the <c>Session-Lease</c> header (<see cref="WriteConditions.LeaseHeader"/>).
/// </summary>
public static class LeaseEndpoints
{
    /// <summary>Maps <c>/sessions/current/lease</c>.</summary>
    public static IEndpointRouteBuilder MapLeaseEndpoints(this IEndpointRouteBuilder routes)
    {
        var lease = routes.MapGroup("/sessions/current/lease").WithTags("Sessions").AddEndpointFilter<SessionTokenFilter>();
        lease.MapPost("", Acquire);
        lease.MapDelete("", Release);
        return routes;
    }

    private static async Task<Results<Ok<LeaseResponse>, ProblemHttpResult>> Acquire(
        SessionIdentity session, HttpContext http, SessionGateway gateway, IOptions<FrontEndOptions> options, CancellationToken cancellationToken)
    {
        var (document, problem) = await JsonBody.Read(http.Request, options.Value.MaxRequestBodyBytes, allowEmpty: true, cancellationToken);
        if (problem is not null) return problem;
        var longest = LongestWait(options.Value);
        string leaseId;
        TimeSpan ttl, wait;
        using (document)
        {
            if (!TryReadAcquire(document, longest, out leaseId, out ttl, out wait, out problem)) return problem!;
        }

        var reply = await gateway.Call(session.Id!, new SessionCalls.AcquireLease(leaseId, ttl, wait, cancellationToken), cancellationToken);
        if (!reply.Succeeded) return SessionProblems.From(reply.Failure, http);
        http.Response.Headers.ETag = WriteConditions.ETagOf(reply.Value.Session.Info.Version);
        return TypedResults.Ok(LeaseResponse.From(reply.Value));
    }

    private static async Task<Results<Ok<VersionResponse>, ProblemHttpResult>> Release(
        SessionIdentity session, HttpContext http, SessionGateway gateway, IOptions<FrontEndOptions> options, CancellationToken cancellationToken)
    {
        if (!WriteConditions.TryRead(http.Request, out var write, out var problem)) return problem!;
        if (write.LeaseId is not { } leaseId) return SessionProblems.BadRequest($"Name the lease to release in the {WriteConditions.LeaseHeader} header.");
        var (document, bodyProblem) = await JsonBody.Read(http.Request, options.Value.MaxRequestBodyBytes, allowEmpty: true, cancellationToken);
        if (bodyProblem is not null) return bodyProblem;
        string? patch = null;
        using (document)
        {
            if (document is not null)
            {
                if (document.RootElement.ValueKind != JsonValueKind.Object)
                    return SessionProblems.BadRequest("A merge patch of session data must be a JSON object.");
                patch = JsonBody.Compact(document.RootElement);
            }
        }

        var reply = await gateway.Call(session.Id!, new SessionCalls.ReleaseLease(leaseId, patch, write), cancellationToken);
        if (!reply.Succeeded) return SessionProblems.From(reply.Failure, http);
        http.Response.Headers.ETag = WriteConditions.ETagOf(reply.Value.Version);
        return TypedResults.Ok(new VersionResponse(reply.Value.Version));
    }

    /// <summary>The longest a request may wait for the lease: a second under the call deadline, so the grain gives up first.</summary>
    public static TimeSpan LongestWait(FrontEndOptions options) =>
        options.CallDeadline > TimeSpan.FromSeconds(2) ? options.CallDeadline - TimeSpan.FromSeconds(1) : options.CallDeadline / 2;

    /// <summary>Reads <c>{ "leaseId": "..", "ttlSeconds": n, "waitMilliseconds": n }</c>; every member is optional.</summary>
    private static bool TryReadAcquire(JsonDocument? document, TimeSpan longest, out string leaseId, out TimeSpan ttl, out TimeSpan wait, out ProblemHttpResult? problem)
    {
        leaseId = SessionKeys.NewFrontEndKey();
        ttl = SessionLeases.DefaultTtl;
        wait = longest;
        problem = null;
        if (document is null) return true;
        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            problem = SessionProblems.BadRequest("The body must be a JSON object.");
            return false;
        }
        foreach (var member in document.RootElement.EnumerateObject())
        {
            switch (member.Name)
            {
                case "leaseId" when member.Value.ValueKind == JsonValueKind.String && SessionLeases.IsValidId(member.Value.GetString()):
                    leaseId = member.Value.GetString()!;
                    break;
                case "ttlSeconds" when member.Value.ValueKind == JsonValueKind.Number && member.Value.TryGetInt32(out var seconds) && seconds > 0 && seconds <= SessionLeases.MaxTtl.TotalSeconds:
                    ttl = TimeSpan.FromSeconds(seconds);
                    break;
                case "waitMilliseconds" when member.Value.ValueKind == JsonValueKind.Number && member.Value.TryGetInt32(out var milliseconds) && milliseconds >= 0:
                    wait = TimeSpan.FromMilliseconds(milliseconds) < longest ? TimeSpan.FromMilliseconds(milliseconds) : longest;
                    break;
                default:
                    problem = SessionProblems.BadRequest(
                        $"'{member.Name}' is not a member this endpoint takes, or its value is out of range: leaseId ({SessionLeases.IdRule}), " +
                        $"ttlSeconds (1-{SessionLeases.MaxTtl.TotalSeconds:0}), waitMilliseconds (0 or more).");
                    return false;
            }
        }
        return true;
    }
}
