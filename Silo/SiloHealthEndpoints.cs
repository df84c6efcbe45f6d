using Orleans.Runtime;

namespace SessionGrains.Silo;

/// <summary><c>/healthz</c>: the process is alive. <c>/readyz</c>: this silo is an active cluster member, warmed up and not draining.</summary>
public static class SiloHealthEndpoints
{
    public static IEndpointRouteBuilder MapSiloHealthEndpoints(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/healthz", () => TypedResults.Ok(new { status = "alive" }));
        routes.MapGet("/readyz", (ILocalSiloDetails silo, IClusterMembershipService membership, SessionGrains.Grains.Placement.SiloHomes homes, SessionGrains.Grains.Placement.SiloWarmUp warmUp) =>
        {
            var status = membership.CurrentSnapshot.GetSiloStatus(silo.SiloAddress);
            // A draining silo hands its sessions over: load balancers and orchestrators must stop counting on it.
            if (homes.Draining)
                return Results.Json(new { status = "Draining", silo = silo.SiloAddress.ToParsableString() }, statusCode: StatusCodes.Status503ServiceUnavailable);
            // Sessions move here only once it has warmed up (SiloWarmUp); until then it is not ready either.
            if (status == SiloStatus.Active && !warmUp.IsWarm)
                return Results.Json(new { status = "WarmingUp", silo = silo.SiloAddress.ToParsableString() }, statusCode: StatusCodes.Status503ServiceUnavailable);
            return status == SiloStatus.Active
                ? Results.Ok(new { status = "ready", silo = silo.SiloAddress.ToParsableString() })
                : Results.Json(new { status = status.ToString(), silo = silo.SiloAddress.ToParsableString() }, statusCode: StatusCodes.Status503ServiceUnavailable);
        });
        return routes;
    }
}
