using Orleans.Runtime;

namespace SessionGrains.Silo;

/// <summary><c>/healthz</c>: the process is alive. <c>/readyz</c>: this silo is an active cluster member.</summary>
public static class SiloHealthEndpoints
{
    public static IEndpointRouteBuilder MapSiloHealthEndpoints(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/healthz", () => TypedResults.Ok(new { status = "alive" }));
        routes.MapGet("/readyz", (ILocalSiloDetails silo, IClusterMembershipService membership) =>
        {
            var status = membership.CurrentSnapshot.GetSiloStatus(silo.SiloAddress);
            return status == SiloStatus.Active
                ? Results.Ok(new { status = "ready", silo = silo.SiloAddress.ToParsableString() })
                : Results.Json(new { status = status.ToString(), silo = silo.SiloAddress.ToParsableString() }, statusCode: StatusCodes.Status503ServiceUnavailable);
        });
        return routes;
    }
}
