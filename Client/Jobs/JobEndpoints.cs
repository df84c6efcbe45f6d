using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using SessionGrains.Client.Sessions;
using SessionGrains.Interfaces;

namespace SessionGrains.Client.Jobs;

/// <summary>The session's jobs: <c>/sessions/current/jobs…</c> (API.md, "Session jobs"). Output: <see cref="JobOutput"/>.</summary>
public static class JobEndpoints
{
    public static IEndpointRouteBuilder MapJobEndpoints(this IEndpointRouteBuilder routes)
    {
        var jobs = routes.MapGroup("/sessions/current/jobs").WithTags("Jobs").AddEndpointFilter<SessionTokenFilter>();
        jobs.MapPost("", Start);
        jobs.MapGet("", List);
        jobs.MapGet("/{id}", Get);
        jobs.MapDelete("/{id}", Cancel);
        jobs.MapGet("/{id}/output", JobOutput.Stream);
        return routes;
    }

    private static async Task<Results<Accepted<JobResponse>, ProblemHttpResult>> Start(
        string? kind, SessionIdentity session, HttpContext http, JobGateway gateway, IOptions<FrontEndOptions> frontEnd, IOptions<JobRules> rules,
        CancellationToken cancellationToken)
    {
        var key = http.Request.Headers[WriteConditions.IdempotencyKeyHeader].ToString();
        if (key.Length > 0 && !SessionKeys.IsValidIdempotencyKey(key)) return SessionProblems.BadRequest(SessionKeys.IdempotencyKeyRule);
        var (start, problem) = IsUpload(http.Request)
            ? await ReadUpload(http, kind, rules.Value, cancellationToken)
            : await ReadJson(http, kind, frontEnd.Value, cancellationToken);
        if (problem is not null) return problem;

        // A retry with the same Idempotency-Key names the same job, so it starts once.
        var jobId = key.Length > 0 ? IdFromKey(session.Id!, key) : SessionTokens.NewId()[..JobKeys.IdLength];
        var reply = await gateway.Call(() => gateway.Jobs(session.Id!).Start(jobId, start!), cancellationToken);
        if (!reply.Succeeded) return SessionProblems.From(reply.Failure, http);
        return TypedResults.Accepted($"/sessions/current/jobs/{jobId}", JobResponse.From(reply.Value));
    }

    private static async Task<Results<Ok<JobListResponse>, ProblemHttpResult>> List(
        SessionIdentity session, HttpContext http, JobGateway gateway, CancellationToken cancellationToken)
    {
        var reply = await gateway.Call(() => gateway.Jobs(session.Id!).List(), cancellationToken);
        if (!reply.Succeeded) return SessionProblems.From(reply.Failure, http);
        return TypedResults.Ok(new JobListResponse([.. reply.Value.Jobs.Select(JobResponse.From)]));
    }

    private static async Task<Results<Ok<JobResponse>, ProblemHttpResult>> Get(
        string id, SessionIdentity session, HttpContext http, JobGateway gateway, CancellationToken cancellationToken)
    {
        if (!JobKeys.IsValidId(id)) return NotAJobId;
        var reply = await gateway.Call(() => gateway.Job(session.Id!, id).Get(), cancellationToken);
        if (!reply.Succeeded) return SessionProblems.From(reply.Failure, http);
        http.Response.Headers.ETag = reply.Value.ETag;
        return TypedResults.Ok(JobResponse.From(reply.Value));
    }

    private static async Task<Results<Ok<JobResponse>, ProblemHttpResult>> Cancel(
        string id, SessionIdentity session, HttpContext http, JobGateway gateway, CancellationToken cancellationToken)
    {
        if (!JobKeys.IsValidId(id)) return NotAJobId;
        var reply = await gateway.Call(() => gateway.Job(session.Id!, id).Cancel(), cancellationToken);
        if (!reply.Succeeded) return SessionProblems.From(reply.Failure, http);
        return TypedResults.Ok(JobResponse.From(reply.Value));
    }

    public static ProblemHttpResult NotAJobId => SessionProblems.Problem(StatusCodes.Status404NotFound, "job-not-found", "Job not found",
        $"A job id is {JobKeys.IdLength} characters of A-Z a-z 0-9 _ -.");

    private static bool IsUpload(HttpRequest request) =>
        request.ContentType is { } type && type.StartsWith("application/octet-stream", StringComparison.OrdinalIgnoreCase);

    /// <summary><c>{"kind": "...", "input": {...}}</c>; input is optional (an empty object).</summary>
    private static async Task<(JobStart?, ProblemHttpResult?)> ReadJson(HttpContext http, string? queryKind, FrontEndOptions options, CancellationToken cancellationToken)
    {
        if (queryKind is not null) return (null, SessionProblems.BadRequest("'kind' goes in the JSON body; the query parameter is for uploads."));
        var (document, problem) = await JsonBody.Read(http.Request, options.MaxRequestBodyBytes, allowEmpty: false, cancellationToken);
        if (problem is not null) return (null, problem);
        using (document)
        {
            var root = document!.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return (null, SessionProblems.BadRequest("The body must be a JSON object: {\"kind\": \"...\", \"input\": {...}}."));
            string? kind = null;
            var input = "{}";
            foreach (var member in root.EnumerateObject())
            {
                switch (member.Name)
                {
                    case "kind" when member.Value.ValueKind == JsonValueKind.String:
                        kind = member.Value.GetString();
                        break;
                    case "input" when member.Value.ValueKind == JsonValueKind.Object:
                        input = JsonBody.Compact(member.Value);
                        break;
                    default:
                        return (null, SessionProblems.BadRequest($"'{member.Name}' is not a member this endpoint takes, or its value has the wrong type."));
                }
            }
            if (!JobKeys.IsValidKind(kind)) return (null, BadKind);
            return (new JobStart(kind!, input, null), null);
        }
    }

    /// <summary>A file as the body (<c>application/octet-stream</c>), the kind in the query: <c>?kind=process</c>.</summary>
    private static async Task<(JobStart?, ProblemHttpResult?)> ReadUpload(HttpContext http, string? kind, JobRules rules, CancellationToken cancellationToken)
    {
        if (!JobKeys.IsValidKind(kind)) return (null, BadKind);
        var limit = rules.MaxUploadBytes;
        if (http.Request.ContentLength > limit) return (null, UploadTooLarge(limit));
        // Uploads may be larger than other bodies; the limit is counted here.
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size) size.MaxRequestBodySize = limit + 1L;
        using var body = new MemoryStream();
        var buffer = new byte[64 * 1024];
        int read;
        while ((read = await http.Request.Body.ReadAsync(buffer, cancellationToken)) > 0)
        {
            body.Write(buffer, 0, read);
            if (body.Length > limit) return (null, UploadTooLarge(limit));
        }
        return (new JobStart(kind!, "{}", body.ToArray()), null);
    }

    private static ProblemHttpResult UploadTooLarge(int limit) =>
        SessionProblems.Problem(StatusCodes.Status413PayloadTooLarge, "job-too-large", "Job too large", $"An upload may have at most {limit} bytes (Jobs:MaxUploadBytes).");

    private static readonly ProblemHttpResult BadKind = SessionProblems.BadRequest("'kind' must be 1-32 characters of a-z 0-9 - _ (e.g. \"render\", \"process\").");

    private static string IdFromKey(string sessionId, string key)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(sessionId + "\n" + key));
        return Convert.ToBase64String(hash, 0, 12).Replace('+', '-').Replace('/', '_');
    }
}
