namespace SessionGrains.Direct;

/// <summary>Session token keys, bound from the <c>Tokens</c> section. Keys are base64, at least 32 bytes.</summary>
public sealed class TokenOptions
{
    public const string Section = "Tokens";

    /// <summary>Key that signs new tokens. Required in cluster mode; generated and kept in the data folder in standalone mode.</summary>
    public string? SigningKey { get; set; }

    /// <summary>Older keys whose tokens are still accepted (key rotation).</summary>
    public List<string> VerificationKeys { get; set; } = [];
}

/// <summary>The signing key is required; every key must be base64 of at least 32 bytes.</summary>
public sealed class TokenOptionsValidator : Microsoft.Extensions.Options.IValidateOptions<TokenOptions>
{
    public Microsoft.Extensions.Options.ValidateOptionsResult Validate(string? name, TokenOptions o)
    {
        var failures = new List<string>();
        if (string.IsNullOrEmpty(o.SigningKey)) failures.Add("Tokens:SigningKey is required (base64, at least 32 bytes).");
        else if (!IsKey(o.SigningKey)) failures.Add("Tokens:SigningKey must be base64 of at least 32 bytes.");
        for (var i = 0; i < o.VerificationKeys.Count; i++)
        {
            if (!IsKey(o.VerificationKeys[i])) failures.Add($"Tokens:VerificationKeys:{i} must be base64 of at least 32 bytes.");
        }
        return failures.Count == 0 ? Microsoft.Extensions.Options.ValidateOptionsResult.Success : Microsoft.Extensions.Options.ValidateOptionsResult.Fail(failures);
    }

    private static bool IsKey(string base64)
    {
        var buffer = new byte[base64.Length];
        return Convert.TryFromBase64String(base64, buffer, out var length) && length >= 32;
    }
}
