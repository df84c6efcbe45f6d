using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using SessionGrains.Client.Admin;

namespace SessionGrains.Client.Dashboard;

/// <summary>
/// The dashboard login cookie: <c>expiry.HMAC-SHA256(expiry)</c> under a key derived from the API key. It never
/// reveals the API key, every front end with the same API key accepts it (round-robin, no stickiness, no shared
/// key store), and changing the API key ends every dashboard login.
/// </summary>
public sealed class DashboardCookie(IOptions<AdminOptions> admin, IOptions<DashboardAccessOptions> options, TimeProvider clock)
{
    public const string Name = "sg_dashboard";

    private static readonly byte[] Purpose = "SessionGrains dashboard login cookie v1"u8.ToArray();

    private readonly byte[]? _key = string.IsNullOrEmpty(admin.Value.ApiKey)
        ? null
        : HMACSHA256.HashData(Encoding.UTF8.GetBytes(admin.Value.ApiKey), Purpose);

    private TimeSpan Lifetime => options.Value.CookieLifetime;

    /// <summary>A new cookie value, valid for <see cref="DashboardAccessOptions.CookieLifetime"/>.</summary>
    public string Issue()
    {
        var expires = clock.GetUtcNow().Add(Lifetime).ToUnixTimeSeconds();
        return expires.ToString(CultureInfo.InvariantCulture) + "." + Base64Url.EncodeToString(Mac(expires));
    }

    /// <summary>True for an unexpired cookie this service issued under the current API key; the MAC is compared in constant time.</summary>
    public bool IsValid(string? value)
    {
        if (_key is null || string.IsNullOrEmpty(value)) return false;
        var dot = value.IndexOf('.');
        if (dot <= 0 || !long.TryParse(value.AsSpan(0, dot), NumberStyles.None, CultureInfo.InvariantCulture, out var expires)) return false;
        if (expires <= clock.GetUtcNow().ToUnixTimeSeconds()) return false;
        if (!Base64Url.IsValid(value.AsSpan(dot + 1), out var length) || length != HMACSHA256.HashSizeInBytes) return false;
        return CryptographicOperations.FixedTimeEquals(Base64Url.DecodeFromChars(value.AsSpan(dot + 1)), Mac(expires));
    }

    /// <summary>HttpOnly, only sent to <c>/dashboard</c>, Secure over HTTPS.</summary>
    public CookieOptions CookieOptions(HttpRequest request) => new()
    {
        HttpOnly = true,
        Secure = request.IsHttps,
        SameSite = SameSiteMode.Lax,
        Path = DashboardEndpoints.Path,
        MaxAge = Lifetime,
        IsEssential = true,
    };

    private byte[] Mac(long expires) =>
        HMACSHA256.HashData(_key ?? throw new InvalidOperationException("No API key is configured (Admin:ApiKey)."), Encoding.ASCII.GetBytes("dashboard:" + expires.ToString(CultureInfo.InvariantCulture)));
}
