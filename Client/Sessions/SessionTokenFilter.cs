namespace SessionGrains.Client.Sessions;

/// <summary>Refuses requests without a genuine session token with 401, before any grain is called.</summary>
public sealed class SessionTokenFilter : IEndpointFilter
{
    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        foreach (var argument in context.Arguments)
        {
            if (argument is SessionIdentity { IsAuthenticated: true }) return next(context);
        }
        return ValueTask.FromResult<object?>(SessionProblems.Unauthorized("A valid session token is required (cookie 'sid' or Authorization: Bearer)."));
    }
}
