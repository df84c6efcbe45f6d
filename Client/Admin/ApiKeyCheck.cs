using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace SessionGrains.Client.Admin;

/// <summary>Compares the <c>X-Api-Key</c> header with the configured key in constant time.</summary>
public sealed class ApiKeyCheck(IOptions<AdminOptions> options)
{
    public const string Header = "X-Api-Key";

    private readonly byte[]? _key = string.IsNullOrEmpty(options.Value.ApiKey) ? null : SHA256.HashData(Encoding.UTF8.GetBytes(options.Value.ApiKey));

    public bool IsTrusted(HttpContext context)
    {
        if (_key is null || !context.Request.Headers.TryGetValue(Header, out var presented) || presented.Count != 1) return false;
        var presentedHash = SHA256.HashData(Encoding.UTF8.GetBytes(presented[0] ?? ""));
        return CryptographicOperations.FixedTimeEquals(presentedHash, _key);
    }
}
