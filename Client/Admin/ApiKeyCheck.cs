using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace SessionGrains.Client.Admin;

/// <summary>Compares the <c>X-Api-Key</c> header with the configured key in constant time.</summary>
public sealed class ApiKeyCheck(IOptions<AdminOptions> options)
{
    public const string Header = "X-Api-Key";

    private readonly byte[]? _key = string.IsNullOrEmpty(options.Value.ApiKey) ? null : SHA256.HashData(Encoding.UTF8.GetBytes(options.Value.ApiKey));

    public bool IsTrusted(HttpContext context) =>
        context.Request.Headers.TryGetValue(Header, out var presented) && presented.Count == 1 && Matches(presented[0]);

    /// <summary>Whether <paramref name="presented"/> is the API key (hashes compared in constant time).</summary>
    public bool Matches(string? presented) =>
        _key is not null && CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(presented ?? "")), _key);
}
