namespace SessionGrains.Client.Tokens;

/// <summary>Session token keys, bound from the <c>Tokens</c> section. Keys are base64, at least 32 bytes.</summary>
public sealed class TokenOptions
{
    public const string Section = "Tokens";

    /// <summary>Key that signs new tokens. Required in cluster mode; generated and kept in the data folder in standalone mode.</summary>
    public string? SigningKey { get; set; }

    /// <summary>Older keys whose tokens are still accepted (key rotation).</summary>
    public List<string> VerificationKeys { get; set; } = [];
}
