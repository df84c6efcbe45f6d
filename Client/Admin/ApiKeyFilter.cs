using SessionGrains.Client.Sessions;

namespace SessionGrains.Client.Admin;

/// <summary>Refuses trusted endpoints with 401 unless <c>X-Api-Key</c> carries the configured key.</summary>
public sealed class ApiKeyFilter(ApiKeyCheck apiKey) : IEndpointFilter
{
    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next) =>
        apiKey.IsTrusted(context.HttpContext)
            ? next(context)
            : ValueTask.FromResult<object?>(SessionProblems.Unauthorized($"This endpoint needs the API key in {ApiKeyCheck.Header}."));
}
