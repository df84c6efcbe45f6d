using Microsoft.Extensions.Options;
using SessionGrains.Client.Admin;

namespace SessionGrains.Client.Security;

/// <summary>
/// Refuses, outside the Development environment, keys that were ever published with this project (the old defaults of
/// docker-compose.yml): anyone could forge session tokens or call the trusted routes with them.
/// </summary>
public sealed class PublishedKeys(IHostEnvironment environment) : IValidateOptions<TokenOptions>, IValidateOptions<AdminOptions>
{
    /// <summary>Signing keys that were published; never valid outside Development.</summary>
    public static readonly IReadOnlySet<string> SigningKeys = new HashSet<string>(StringComparer.Ordinal) { "ZGV2ZWxvcG1lbnQtb25seS1zaWduaW5nLWtleS0zMmI=" };

    /// <summary>API keys that were published; never valid outside Development.</summary>
    public static readonly IReadOnlySet<string> ApiKeys = new HashSet<string>(StringComparer.Ordinal) { "development-only-api-key" };

    public ValidateOptionsResult Validate(string? name, TokenOptions options)
    {
        if (environment.IsDevelopment()) return ValidateOptionsResult.Success;
        var published = new[] { options.SigningKey }.Concat(options.VerificationKeys).Where(k => k is not null && SigningKeys.Contains(k)).ToList();
        return published.Count == 0
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail($"Tokens: a published development key is configured; generate one (head -c 32 /dev/urandom | base64). Only the {Environments.Development} environment accepts it.");
    }

    public ValidateOptionsResult Validate(string? name, AdminOptions options) =>
        environment.IsDevelopment() || options.ApiKey is null || !ApiKeys.Contains(options.ApiKey)
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail($"Admin:ApiKey is a published development key; generate one (openssl rand -hex 24). Only the {Environments.Development} environment accepts it.");
}
