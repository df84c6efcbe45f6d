using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;

namespace SessionGrains.Bench.Baseline;

/// <summary>
/// SessionGrains' session operations over <see cref="ISession"/>, with the same paths. Nothing is locked: the
/// counter is a read-modify-write through the session, exactly what loses updates when requests of one session race.
/// </summary>
public static class BaselineEndpoints
{
    /// <summary>Marks a session that was created through <c>POST /sessions</c> (an empty ISession is a new one).</summary>
    private const string CreatedKey = "__created";

    public static IEndpointRouteBuilder MapBaselineEndpoints(this IEndpointRouteBuilder routes)
    {
        var sessions = routes.MapGroup("/sessions");
        sessions.MapPost("", Create);
        var current = sessions.MapGroup("/current");
        current.MapGet("/data/{key}", GetValue);
        current.MapPut("/data/{key}", Put);
        current.MapPost("/counters/{key}/increment", Increment);
        return routes;
    }

    private static async Task<Results<Created<CreatedResponse>, ProblemHttpResult>> Create(HttpContext http, CancellationToken cancellationToken)
    {
        var session = http.Session;
        await session.LoadAsync(cancellationToken);
        // A create always starts a new session, whatever cookie came with the request.
        session.Clear();
        session.SetString(CreatedKey, DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture));
        if (http.Request.ContentLength is > 0)
        {
            using var body = await JsonDocument.ParseAsync(http.Request.Body, cancellationToken: cancellationToken);
            if (body.RootElement.ValueKind != JsonValueKind.Object) return BadRequest("The body must be a JSON object.");
            if (body.RootElement.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.Object)
            {
                foreach (var entry in data.EnumerateObject()) session.SetString(entry.Name, entry.Value.GetRawText());
            }
        }
        await session.CommitAsync(cancellationToken);
        return TypedResults.Created("/sessions/current", new CreatedResponse(session.Id));
    }

    private static async Task<Results<ContentHttpResult, ProblemHttpResult>> GetValue(string key, HttpContext http, CancellationToken cancellationToken)
    {
        if (await Load(http, cancellationToken) is { } missing) return missing;
        var json = http.Session.GetString(key);
        return json is null ? NotFound("key-not-found", $"The session has no key '{key}'.") : TypedResults.Text(json, "application/json");
    }

    private static async Task<Results<Ok<WrittenResponse>, ProblemHttpResult>> Put(string key, HttpContext http, CancellationToken cancellationToken)
    {
        string json;
        try
        {
            using var body = await JsonDocument.ParseAsync(http.Request.Body, cancellationToken: cancellationToken);
            json = body.RootElement.GetRawText();
        }
        catch (JsonException)
        {
            return BadRequest("The body is not JSON.");
        }
        if (await Load(http, cancellationToken) is { } missing) return missing;
        http.Session.SetString(key, json);
        await http.Session.CommitAsync(cancellationToken);
        return TypedResults.Ok(new WrittenResponse(key));
    }

    private static async Task<Results<Ok<CounterResponse>, ProblemHttpResult>> Increment(string key, string? by, HttpContext http, CancellationToken cancellationToken)
    {
        long amount = 1;
        if (by is not null && !long.TryParse(by, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out amount))
            return BadRequest("'by' must be an integer.");
        if (await Load(http, cancellationToken) is { } missing) return missing;

        // Read, modify, write: two requests of one session that overlap both read the same value.
        long current = 0;
        if (http.Session.GetString(key) is { } json && !long.TryParse(json, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out current))
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "not-an-integer");
        var value = current + amount;
        http.Session.SetString(key, value.ToString(CultureInfo.InvariantCulture));
        await http.Session.CommitAsync(cancellationToken);
        return TypedResults.Ok(new CounterResponse(value));
    }

    /// <summary>Loads the caller's session from Redis; a problem when there is none.</summary>
    private static async Task<ProblemHttpResult?> Load(HttpContext http, CancellationToken cancellationToken)
    {
        await http.Session.LoadAsync(cancellationToken);
        if (!http.Session.IsAvailable) return TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "unavailable");
        return http.Session.Keys.Contains(CreatedKey) ? null : NotFound("session-not-found", "The session does not exist or has expired.");
    }

    private static ProblemHttpResult NotFound(string type, string detail) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: type, detail: detail);

    private static ProblemHttpResult BadRequest(string detail) =>
        TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "invalid-argument", detail: detail);

    public sealed record CreatedResponse(string Id);

    public sealed record WrittenResponse(string Key);

    public sealed record CounterResponse(long Value);
}
