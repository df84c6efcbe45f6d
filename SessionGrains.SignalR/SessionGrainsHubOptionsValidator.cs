using Microsoft.Extensions.Options;

namespace SessionGrains.SignalR;

/// <summary>Refuses to start with a retention or deadline that could not work.</summary>
public sealed class SessionGrainsHubOptionsValidator : IValidateOptions<SessionGrainsHubOptions>
{
    public ValidateOptionsResult Validate(string? name, SessionGrainsHubOptions o)
    {
        var failures = new List<string>();
        if (o.MaxMessages < 1) failures.Add("SignalR:MaxMessages must be at least 1.");
        if (o.MessageLifetime < TimeSpan.FromSeconds(1)) failures.Add("SignalR:MessageLifetime must be at least a second.");
        if (o.CallDeadline <= TimeSpan.Zero) failures.Add("SignalR:CallDeadline must be positive.");
        if (o.RenewInterval <= TimeSpan.Zero || o.RenewInterval >= TimeSpan.FromMinutes(2))
            failures.Add("SignalR:RenewInterval must be positive and under 2 minutes (mailboxes forget a server after 2 minutes without renewal).");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
