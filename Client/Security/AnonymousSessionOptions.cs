using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using SessionGrains.Client.Sessions;
using SessionGrains.Interfaces;

namespace SessionGrains.Client.Security;

/// <summary>
/// What <c>POST /sessions</c> without the API key may ask for, bound from the <c>Anonymous</c> section. A trusted
/// caller (<c>X-Api-Key</c>) may ask for anything the <c>Sessions</c> rules allow.
/// </summary>
public sealed class AnonymousSessionOptions
{
    public const string Section = "Anonymous";

    /// <summary>Initial data of an anonymous new session: key lengths plus value sizes in UTF-8 bytes.</summary>
    public int MaxDataBytes { get; set; } = 16 * 1024;

    /// <summary>Longest idle timeout an anonymous creator may ask for.</summary>
    public TimeSpan MaxIdleTimeout { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Null when an anonymous creator may ask for <paramref name="creation"/>; otherwise the problem to answer.</summary>
    public ProblemHttpResult? Refuse(SessionCreation creation)
    {
        if (creation.IdleTimeout > MaxIdleTimeout)
            return SessionProblems.BadRequest($"idleTimeoutSeconds may be at most {MaxIdleTimeout.TotalSeconds} without the API key.");
        var bytes = 0L;
        foreach (var (key, json) in creation.Data) bytes += key.Length + Encoding.UTF8.GetByteCount(json);
        return bytes > MaxDataBytes
            ? SessionProblems.Problem(StatusCodes.Status413PayloadTooLarge, "session-too-large", "Session too large",
                $"A new session's data may total at most {MaxDataBytes} bytes without the API key.")
            : null;
    }
}

/// <summary>Both limits must be positive.</summary>
public sealed class AnonymousSessionOptionsValidator : IValidateOptions<AnonymousSessionOptions>
{
    public ValidateOptionsResult Validate(string? name, AnonymousSessionOptions o)
    {
        var failures = new List<string>();
        if (o.MaxDataBytes <= 0) failures.Add("Anonymous:MaxDataBytes must be positive.");
        if (o.MaxIdleTimeout <= TimeSpan.Zero) failures.Add("Anonymous:MaxIdleTimeout must be positive.");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
