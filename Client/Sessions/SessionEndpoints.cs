using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using SessionGrains.Client.Admin;
using SessionGrains.Client.Sockets;
using SessionGrains.Interfaces;

namespace SessionGrains.Client.Sessions;

/// <summary>The caller's own session: <c>/sessions</c> and <c>/sessions/current/…</c>.</summary>
public static class SessionEndpoints
{
    public static IEndpointRouteBuilder MapSessionEndpoints(this IEndpointRouteBuilder routes)
    {
        var sessions = routes.MapGroup("/sessions").WithTags("Sessions");
        sessions.MapPost("", Create);

        var current = sessions.MapGroup("/current").AddEndpointFilter<SessionTokenFilter>();
        current.MapGet("", Get);
        current.MapDelete("", Delete);
        current.MapGet("/data/{key}", GetValue);
        current.MapPut("/data/{key}", Put);
        current.MapDelete("/data/{key}", Remove);
        current.MapPatch("/data", Patch);
        current.MapPost("/counters/{key}/increment", Increment);
        current.MapPost("/rotate", Rotate);
        current.MapGet("/placement", Placement);
        current.MapSocketEndpoints();
        return routes;
    }

    private static async Task<Results<Created<SessionCreatedResponse>, ProblemHttpResult>> Create(
        HttpContext http, SessionGateway gateway, SessionTokens tokens, ApiKeyCheck apiKey, IOptions<FrontEndOptions> options,
        IOptions<SessionRules> sessionOptions, IOptions<Security.AnonymousSessionOptions> anonymous, CancellationToken cancellationToken)
    {
        var (document, problem) = await JsonBody.Read(http.Request, options.Value.MaxRequestBodyBytes, allowEmpty: true, cancellationToken);
        if (problem is not null) return problem;
        if (!WriteConditions.TryRead(http.Request, out var write, out problem)) return problem!;
        SessionCreation creation;
        var trusted = apiKey.IsTrusted(http);
        using (document)
        {
            if (!TryReadCreation(document, trusted, write.IdempotencyKey, sessionOptions.Value, out creation, out problem)) return problem!;
        }
        if (!trusted && anonymous.Value.Refuse(creation) is { } refused) return refused;

        var id = gateway.NewId();
        var reply = await gateway.Create(id, creation, cancellationToken);
        if (!reply.Succeeded) return SessionProblems.From(reply.Failure, http);
        return TypedResults.Created("/sessions/current", Issue(http, tokens, reply.Value));
    }

    private static async Task<Results<Ok<SessionResponse>, ProblemHttpResult>> Get(
        SessionIdentity session, HttpContext http, SessionGateway gateway, CancellationToken cancellationToken)
    {
        var reply = await gateway.Call(session.Id!, SessionCalls.Get.Instance, cancellationToken);
        if (!reply.Succeeded) return SessionProblems.From(reply.Failure, http);
        http.Response.Headers.ETag = WriteConditions.ETagOf(reply.Value.Info.Version);
        return TypedResults.Ok(SessionResponse.From(reply.Value));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> Delete(
        SessionIdentity session, HttpContext http, SessionGateway gateway, CancellationToken cancellationToken)
    {
        if (!WriteConditions.TryRead(http.Request, out var write, out var problem)) return problem!;
        var reply = await gateway.Call(session.Id!, new SessionCalls.Delete(write), cancellationToken);
        if (!reply.Succeeded) return SessionProblems.From(reply.Failure, http);
        SessionIdentity.DeleteCookie(http);
        return TypedResults.NoContent();
    }

    private static async Task<Results<ContentHttpResult, ProblemHttpResult>> GetValue(
        string key, SessionIdentity session, HttpContext http, SessionGateway gateway, CancellationToken cancellationToken)
    {
        var reply = await gateway.Call(session.Id!, new SessionCalls.GetValue(key), cancellationToken);
        if (!reply.Succeeded) return SessionProblems.From(reply.Failure, http);
        http.Response.Headers.ETag = WriteConditions.ETagOf(reply.Value.Version);
        return TypedResults.Text(reply.Value.Json, "application/json");
    }

    private static async Task<Results<Ok<VersionResponse>, ProblemHttpResult>> Put(
        string key, SessionIdentity session, HttpContext http, SessionGateway gateway, IOptions<FrontEndOptions> options, CancellationToken cancellationToken)
    {
        if (!WriteConditions.TryRead(http.Request, out var write, out var problem)) return problem!;
        var (document, bodyProblem) = await JsonBody.Read(http.Request, options.Value.MaxRequestBodyBytes, allowEmpty: false, cancellationToken);
        if (bodyProblem is not null) return bodyProblem;
        string json;
        using (document) json = JsonBody.Compact(document!.RootElement);

        var reply = await gateway.Call(session.Id!, new SessionCalls.Put(key, json, write), cancellationToken);
        return Versioned(reply, http);
    }

    private static async Task<Results<Ok<VersionResponse>, ProblemHttpResult>> Remove(
        string key, SessionIdentity session, HttpContext http, SessionGateway gateway, CancellationToken cancellationToken)
    {
        if (!WriteConditions.TryRead(http.Request, out var write, out var problem)) return problem!;
        var reply = await gateway.Call(session.Id!, new SessionCalls.Remove(key, write), cancellationToken);
        return Versioned(reply, http);
    }

    private static async Task<Results<Ok<VersionResponse>, ProblemHttpResult>> Patch(
        SessionIdentity session, HttpContext http, SessionGateway gateway, IOptions<FrontEndOptions> options, CancellationToken cancellationToken)
    {
        if (!WriteConditions.TryRead(http.Request, out var write, out var problem)) return problem!;
        var (document, bodyProblem) = await JsonBody.Read(http.Request, options.Value.MaxRequestBodyBytes, allowEmpty: false, cancellationToken);
        if (bodyProblem is not null) return bodyProblem;
        string patch;
        using (document)
        {
            if (document!.RootElement.ValueKind != JsonValueKind.Object)
                return SessionProblems.BadRequest("A merge patch of session data must be a JSON object.");
            patch = JsonBody.Compact(document.RootElement);
        }

        var reply = await gateway.Call(session.Id!, new SessionCalls.Patch(patch, write), cancellationToken);
        return Versioned(reply, http);
    }

    private static async Task<Results<Ok<CounterResponse>, ProblemHttpResult>> Increment(
        string key, string? by, SessionIdentity session, HttpContext http, SessionGateway gateway, CancellationToken cancellationToken)
    {
        long amount = 1;
        if (by is not null && !long.TryParse(by, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out amount))
            return SessionProblems.BadRequest("'by' must be an integer.");
        if (!WriteConditions.TryRead(http.Request, out var write, out var problem)) return problem!;

        var reply = await gateway.Call(session.Id!, new SessionCalls.Increment(key, amount, write), cancellationToken);
        if (!reply.Succeeded) return SessionProblems.From(reply.Failure, http);
        http.Response.Headers.ETag = WriteConditions.ETagOf(reply.Value.Version);
        return TypedResults.Ok(new CounterResponse(reply.Value.Value, reply.Value.Version));
    }

    private static async Task<Results<Ok<SessionCreatedResponse>, ProblemHttpResult>> Rotate(
        SessionIdentity session, HttpContext http, SessionGateway gateway, SessionTokens tokens, CancellationToken cancellationToken)
    {
        if (!WriteConditions.TryRead(http.Request, out var write, out var problem)) return problem!;
        var newId = gateway.NewIdNear(session.Id!);
        var reply = await gateway.Call(session.Id!, new SessionCalls.Rotate(newId, write), cancellationToken);
        if (!reply.Succeeded) return SessionProblems.From(reply.Failure, http);
        return TypedResults.Ok(Issue(http, tokens, reply.Value));
    }

    private static async Task<Results<Ok<PlacementResponse>, ProblemHttpResult>> Placement(
        SessionIdentity session, HttpContext http, SessionGateway gateway, CancellationToken cancellationToken)
    {
        var reply = await gateway.Call(session.Id!, SessionCalls.GetPlacement.Instance, cancellationToken);
        if (!reply.Succeeded) return SessionProblems.From(reply.Failure, http);
        return TypedResults.Ok(PlacementResponse.From(reply.Value));
    }

    private static Results<Ok<VersionResponse>, ProblemHttpResult> Versioned(Reply<Written> reply, HttpContext http)
    {
        if (!reply.Succeeded) return SessionProblems.From(reply.Failure, http);
        http.Response.Headers.ETag = WriteConditions.ETagOf(reply.Value.Version);
        return TypedResults.Ok(new VersionResponse(reply.Value.Version));
    }

    /// <summary>Token, cookie and body for a session that was just created or rotated.</summary>
    private static SessionCreatedResponse Issue(HttpContext http, SessionTokens tokens, SessionInfo info)
    {
        var token = tokens.Issue(info.Id);
        SessionIdentity.SetCookie(http, token);
        http.Response.Headers.ETag = WriteConditions.ETagOf(info.Version);
        return new SessionCreatedResponse(info.Id, token, info.Version, info.CreatedAt, info.ExpiresAt);
    }

    /// <summary>
    /// Reads <c>{ "data": {..}, "idleTimeoutSeconds": n, "userId": ".." }</c>; every member is optional. Key syntax and
    /// the idle range are checked here too, so that a bad request never activates a grain.
    /// </summary>
    private static bool TryReadCreation(JsonDocument? document, bool trusted, string? idempotencyKey, SessionRules rules, out SessionCreation creation, out ProblemHttpResult? problem)
    {
        creation = new SessionCreation(new Dictionary<string, string>(), null, null, idempotencyKey);
        problem = null;
        if (document is null) return true;
        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            problem = SessionProblems.BadRequest("The body must be a JSON object.");
            return false;
        }

        var data = new Dictionary<string, string>(StringComparer.Ordinal);
        TimeSpan? idle = null;
        string? userId = null;
        foreach (var member in document.RootElement.EnumerateObject())
        {
            switch (member.Name)
            {
                case "data" when member.Value.ValueKind == JsonValueKind.Object:
                    foreach (var entry in member.Value.EnumerateObject())
                    {
                        if (!SessionKeys.IsValidKey(entry.Name, rules.MaxKeyLength))
                        {
                            problem = SessionProblems.BadRequest(SessionKeys.InvalidKeyDetail(entry.Name, rules.MaxKeyLength));
                            return false;
                        }
                        data[entry.Name] = JsonBody.Compact(entry.Value);
                    }
                    break;
                case "data" when member.Value.ValueKind == JsonValueKind.Null:
                    break;
                case "idleTimeoutSeconds" when member.Value.ValueKind == JsonValueKind.Number:
                    if (!member.Value.TryGetInt64(out var seconds) || seconds is <= 0 or > int.MaxValue || !rules.AllowsIdleTimeout(TimeSpan.FromSeconds(seconds)))
                    {
                        problem = SessionProblems.BadRequest(rules.IdleTimeoutRule);
                        return false;
                    }
                    idle = TimeSpan.FromSeconds(seconds);
                    break;
                case "userId" when member.Value.ValueKind == JsonValueKind.String && trusted:
                    userId = member.Value.GetString();
                    if (string.IsNullOrEmpty(userId) || userId.Length > 256)
                    {
                        problem = SessionProblems.BadRequest("userId must be 1-256 characters.");
                        return false;
                    }
                    break;
                case "userId" when !trusted:
                    problem = SessionProblems.Problem(StatusCodes.Status403Forbidden, "forbidden", "Forbidden", "Only a trusted caller (X-Api-Key) may set userId.");
                    return false;
                default:
                    problem = SessionProblems.BadRequest($"'{member.Name}' is not a member this endpoint takes, or its value has the wrong type.");
                    return false;
            }
        }
        creation = new SessionCreation(data, idle, userId, idempotencyKey);
        return true;
    }
}
