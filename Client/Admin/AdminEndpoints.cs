using Microsoft.AspNetCore.Http.HttpResults;
using Orleans.Runtime;
using SessionGrains.Client.Sessions;
using SessionGrains.Interfaces;

namespace SessionGrains.Client.Admin;

/// <summary>Trusted endpoints (API key): cluster view, any session, and per-user listing and logout.</summary>
public static class AdminEndpoints
{
    public static IEndpointRouteBuilder MapAdminEndpoints(this IEndpointRouteBuilder routes)
    {
        var admin = routes.MapGroup("/admin").WithTags("Admin").AddEndpointFilter<ApiKeyFilter>();
        admin.MapGet("/cluster", Cluster);
        admin.MapGet("/sessions/{id}", Session);
        admin.MapGet("/sessions/{id}/placement", Placement);
        admin.MapGet("/users/{userId}/sessions", UserSessions);
        admin.MapDelete("/users/{userId}/sessions", LogOutEverywhere);
        return routes;
    }

    private static async Task<Ok<ClusterResponse>> Cluster(IGrainFactory grains, CancellationToken cancellationToken)
    {
        var management = grains.GetGrain<IManagementGrain>(0);
        var hosts = await management.GetHosts(onlyActive: false).WaitAsync(cancellationToken);
        var statistics = await management.GetSimpleGrainStatistics().WaitAsync(cancellationToken);
        var sessionsBySilo = statistics
            .Where(s => s.GrainType.Contains(TelemetryNames.SessionGrainClass, StringComparison.Ordinal))
            .GroupBy(s => s.SiloAddress)
            .ToDictionary(g => g.Key, g => g.Sum(s => s.ActivationCount));
        var silos = hosts
            .OrderBy(h => h.Key.ToParsableString(), StringComparer.Ordinal)
            .Select(h => new SiloResponse(h.Key.ToParsableString(), h.Value.ToString(), sessionsBySilo.GetValueOrDefault(h.Key)))
            .ToList();
        return TypedResults.Ok(new ClusterResponse(silos, silos.Sum(s => s.SessionActivations), BalanceResponse.Of(silos)));
    }

    private static async Task<Results<Ok<SessionResponse>, ProblemHttpResult>> Session(string id, HttpContext http, SessionGateway gateway, CancellationToken cancellationToken)
    {
        if (!SessionKeys.IsValidId(id)) return SessionProblems.BadRequest("A session id is 22 base64url characters.");
        var reply = await gateway.Call(id, SessionCalls.Inspect.Instance, cancellationToken);
        if (!reply.Succeeded) return SessionProblems.From(reply.Failure, http);
        http.Response.Headers.ETag = WriteConditions.ETagOf(reply.Value.Session.Info.Version);
        return TypedResults.Ok(SessionResponse.From(reply.Value.Session));
    }

    private static async Task<Results<Ok<PlacementResponse>, ProblemHttpResult>> Placement(string id, HttpContext http, SessionGateway gateway, CancellationToken cancellationToken)
    {
        if (!SessionKeys.IsValidId(id)) return SessionProblems.BadRequest("A session id is 22 base64url characters.");
        var reply = await gateway.Call(id, SessionCalls.Inspect.Instance, cancellationToken);
        if (!reply.Succeeded) return SessionProblems.From(reply.Failure, http);
        return TypedResults.Ok(PlacementResponse.From(reply.Value.Placement));
    }

    private static async Task<Ok<List<UserSessionResponse>>> UserSessions(string userId, IGrainFactory grains, CancellationToken cancellationToken)
    {
        var sessions = await grains.GetGrain<IUserSessionsGrain>(userId).List().WaitAsync(cancellationToken);
        return TypedResults.Ok(sessions.Select(s => new UserSessionResponse(s.Id, s.CreatedAt, s.LastAccessAt, s.ExpiresAt)).ToList());
    }

    private static async Task<Ok<LogOutResponse>> LogOutEverywhere(string userId, IGrainFactory grains, CancellationToken cancellationToken)
    {
        var deleted = await grains.GetGrain<IUserSessionsGrain>(userId).DeleteAll().WaitAsync(cancellationToken);
        return TypedResults.Ok(new LogOutResponse(deleted));
    }
}
