using Microsoft.AspNetCore.Http.HttpResults;
using Orleans.Runtime;

namespace SessionGrains.Client.Operations;

/// <summary><c>/healthz</c>: the process is alive. <c>/readyz</c>: it reaches the cluster and is not stopping.</summary>
public static class HealthEndpoints
{
    private static readonly TimeSpan ReadinessTimeout = TimeSpan.FromSeconds(2);

    public static IEndpointRouteBuilder MapHealthEndpoints(this IEndpointRouteBuilder routes)
    {
        var health = routes.MapGroup("").WithTags("Operations");
        health.MapGet("/healthz", () => TypedResults.Ok(new HealthResponse("alive", null)));
        health.MapGet("/readyz", Ready);
        return routes;
    }

    private static async Task<Results<Ok<HealthResponse>, JsonHttpResult<HealthResponse>>> Ready(IGrainFactory grains, FrontEndDrain drain, CancellationToken cancellationToken)
    {
        // A stopping front end is taken out of rotation at once, however well it still reaches the cluster.
        if (drain.IsDraining) return TypedResults.Json(new HealthResponse("stopping", 0), statusCode: StatusCodes.Status503ServiceUnavailable);
        try
        {
            var hosts = await grains.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true).WaitAsync(ReadinessTimeout, cancellationToken);
            if (hosts.Count > 0) return TypedResults.Ok(new HealthResponse("ready", hosts.Count));
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
        }
        return TypedResults.Json(new HealthResponse("not ready", 0), statusCode: StatusCodes.Status503ServiceUnavailable);
    }
}
